"""LearningRateScheduler: sets model.optimizer.learning_rate from schedule(epoch, lr) or schedule(epoch)."""
import numpy as np
import pytest

from nnkit.callbacks import LearningRateScheduler


def test_schedule_of_epoch_and_rate(model, fit):
    seen = []

    def halve_after_first(epoch, lr):
        seen.append((epoch, lr))
        return lr if epoch == 0 else lr * 0.5

    history = fit(model, [LearningRateScheduler(halve_after_first)], [{"loss": 1.0}] * 3)
    assert seen == [(0, 0.01), (1, 0.01), (2, 0.005)]
    assert model.optimizer.learning_rate == pytest.approx(0.0025)
    assert history.history["learning_rate"] == pytest.approx([0.01, 0.005, 0.0025])


def test_schedule_of_epoch_only(model, fit):
    fit(model, [LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))], [{"loss": 1.0}] * 4)
    assert model.optimizer.learning_rate == pytest.approx(0.025)


def test_an_error_inside_a_two_argument_schedule_is_not_hidden(model, fit):
    def broken(epoch, lr):
        raise TypeError("bug in schedule")

    with pytest.raises(TypeError, match="bug in schedule"):
        fit(model, [LearningRateScheduler(broken)], [{"loss": 1.0}])


def test_numpy_results_are_accepted(model, fit):
    fit(model, [LearningRateScheduler(lambda epoch, lr: np.float32(0.5))], [{"loss": 1.0}])
    assert model.optimizer.learning_rate == 0.5 and type(model.optimizer.learning_rate) is float


def test_non_number_result_is_an_error(model, fit):
    with pytest.raises(ValueError, match="should be a float"):
        fit(model, [LearningRateScheduler(lambda epoch, lr: "fast")], [{"loss": 1.0}])


def test_a_learning_rate_schedule_is_a_clear_error(model, fit):
    model.optimizer.learning_rate = lambda step: 0.1
    with pytest.raises(TypeError, match="learning-rate schedule.*LearningRateScheduler"):
        fit(model, [LearningRateScheduler(lambda epoch: 0.1)], [{"loss": 1.0}])


def test_a_model_without_optimizer_is_a_clear_error(model, fit):
    model.optimizer = None
    with pytest.raises(ValueError, match="compile the model first"):
        fit(model, [LearningRateScheduler(lambda epoch: 0.1)], [{"loss": 1.0}])


def test_verbose_reports_the_rate(model, fit, capsys):
    fit(model, [LearningRateScheduler(lambda epoch: 0.2, verbose=1)], [{"loss": 1.0}])
    assert "Epoch 1: LearningRateScheduler setting learning rate to 0.2." in capsys.readouterr().out
