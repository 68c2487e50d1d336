"""TerminateOnNaN: a NaN or infinite batch loss sets model.stop_training."""
import numpy as np
import pytest

from nnkit.callbacks import TerminateOnNaN


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), np.array(np.nan, dtype=np.float32)])
def test_invalid_loss_stops_training(model, fit, capsys, bad):
    history = fit(model, [TerminateOnNaN()], [{"loss": 1.0}] * 5, steps=3,
                  batch_logs=lambda epoch, batch: {"loss": bad if (epoch, batch) == (1, 2) else 1.0})
    assert model.stop_training
    assert len(history.epoch) == 2
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out


def test_finite_or_absent_loss_keeps_training(model, fit):
    history = fit(model, [TerminateOnNaN()], [{"loss": 1.0}] * 3, steps=2,
                  batch_logs=lambda epoch, batch: {"loss": 1e30} if batch else {"acc": float("nan")})
    assert not model.stop_training and len(history.epoch) == 3
