"""ReduceLROnPlateau: cuts model.optimizer.learning_rate after patience epochs, with cooldown and min_lr."""
import numpy as np
import pytest

from nnkit.callbacks import ReduceLROnPlateau


def flat(n, value=1.0, key="val_loss"):
    return [{key: value} for _ in range(n)]


def test_reduces_after_patience_epochs_without_improvement(model, fit):
    history = fit(model, [ReduceLROnPlateau(factor=0.5, patience=2)], flat(5))
    assert model.optimizer.learning_rate == pytest.approx(0.0025)
    # The rate in force during each epoch is logged before that epoch's reduction.
    assert history.history["learning_rate"] == pytest.approx([0.01, 0.01, 0.01, 0.005, 0.005])


def test_improvement_resets_the_wait(model, fit):
    values = [{"val_loss": v} for v in (1.0, 1.0, 0.5, 0.5, 0.2)]
    fit(model, [ReduceLROnPlateau(factor=0.5, patience=2)], values)
    assert model.optimizer.learning_rate == 0.01


def test_changes_below_min_delta_are_not_improvements(model, fit):
    values = [{"val_loss": v} for v in (1.0, 0.99995, 0.9999)]
    fit(model, [ReduceLROnPlateau(factor=0.5, patience=2)], values)
    assert model.optimizer.learning_rate == pytest.approx(0.005)
    fit(model, [ReduceLROnPlateau(factor=0.5, patience=2, min_delta=0.0)], values)
    assert model.optimizer.learning_rate == pytest.approx(0.005)


def test_cooldown_pauses_counting_after_a_reduction(model, fit):
    history = fit(model, [ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2)], flat(6))
    # As in Keras, the cooldown counts down at the start of each epoch's check: reductions at epochs 1, 3, 5.
    assert history.history["learning_rate"] == pytest.approx([0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025])
    assert model.optimizer.learning_rate == pytest.approx(0.00125)
    fit(model, [ReduceLROnPlateau(factor=0.5, patience=1)], flat(6))
    assert model.optimizer.learning_rate == pytest.approx(0.00125 * 0.5**5)


def test_never_goes_below_min_lr(model, fit):
    fit(model, [ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.004)], flat(6))
    assert model.optimizer.learning_rate == pytest.approx(0.004)


def test_min_lr_reached_in_float32_stops_reducing(model, fit):
    model.optimizer.learning_rate = np.float32(0.001)  # an optimizer that keeps its rate in float32
    fit(model, [ReduceLROnPlateau(factor=0.5, patience=1, min_lr=0.001)], flat(4))
    assert model.optimizer.learning_rate == pytest.approx(0.001)


def test_max_mode_for_accuracy(model, fit):
    values = [{"val_accuracy": v} for v in (0.5, 0.6, 0.7, 0.8)]
    fit(model, [ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)], values)
    assert model.optimizer.learning_rate == 0.01
    fit(model, [ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1, mode="min")], values)
    assert model.optimizer.learning_rate == pytest.approx(0.0025 / 2)


def test_factor_of_1_or_more_is_rejected():
    with pytest.raises(ValueError, match="factor >= 1.0"):
        ReduceLROnPlateau(factor=1.0)


def test_a_learning_rate_schedule_is_a_clear_error(model, fit):
    model.optimizer.learning_rate = lambda step: 0.1 * 0.9 ** step
    with pytest.raises(TypeError, match="learning-rate schedule.*ReduceLROnPlateau"):
        fit(model, [ReduceLROnPlateau()], flat(2))


def test_missing_monitor_warns(model, fit):
    with pytest.warns(UserWarning, match="ReduceLROnPlateau is conditioned on metric `val_loss`"):
        fit(model, [ReduceLROnPlateau(patience=0)], flat(2, key="loss"))
    assert model.optimizer.learning_rate == 0.01


def test_verbose_reports_the_new_rate(model, fit, capsys):
    fit(model, [ReduceLROnPlateau(factor=0.5, patience=1, verbose=1)], flat(2))
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.005." in capsys.readouterr().out
