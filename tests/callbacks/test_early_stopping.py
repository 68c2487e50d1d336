"""EarlyStopping: Keras' patience, min_delta, mode, baseline, start_from_epoch and weight restoring."""
import numpy as np
import pytest

from nnkit.callbacks import EarlyStopping


def losses(*values, key="val_loss"):
    return [{key: v} for v in values]


def epochs_run(history):
    return len(history.epoch)


def test_stops_after_patience_epochs_without_improvement(model, fit):
    stopper = EarlyStopping(patience=2)
    history = fit(model, [stopper], losses(1.0, 0.9, 0.95, 0.96, 0.97, 0.98))
    assert epochs_run(history) == 4 and stopper.stopped_epoch == 3 and stopper.best == 0.9
    assert model.stop_training


def test_patience_0_stops_at_the_first_epoch_without_improvement(model, fit):
    history = fit(model, [EarlyStopping(patience=0)], losses(1.0, 0.9, 0.8, 0.85, 0.7))
    assert epochs_run(history) == 4


def test_keeps_going_while_improving(model, fit):
    history = fit(model, [EarlyStopping(patience=0)], losses(5.0, 4.0, 3.0, 2.0))
    assert epochs_run(history) == 4 and not model.stop_training


def test_improvements_smaller_than_min_delta_do_not_count(model, fit):
    values = losses(1.0, 0.99, 0.98, 0.97, 0.96)
    assert epochs_run(fit(model, [EarlyStopping(patience=1, min_delta=0.05)], values)) == 2
    assert epochs_run(fit(model, [EarlyStopping(patience=1, min_delta=-0.05)], values)) == 2  # |min_delta|
    assert epochs_run(fit(model, [EarlyStopping(patience=1)], values)) == 5


@pytest.mark.parametrize(
    "monitor, mode",
    [("val_loss", "min"), ("loss", "min"), ("val_mae", "min"), ("accuracy", "max"), ("val_accuracy", "max"),
     ("val_acc", "max"), ("categorical_accuracy", "max"), ("val_auc", "max")],
)
def test_mode_auto_follows_the_metric_name(monitor, mode):
    assert EarlyStopping(monitor=monitor).mode == mode


def test_max_mode_stops_when_accuracy_stops_rising(model, fit):
    history = fit(model, [EarlyStopping(monitor="val_accuracy", patience=1)],
                  losses(0.5, 0.6, 0.55, 0.58, 0.9, key="val_accuracy"))
    assert epochs_run(history) == 3


def test_explicit_mode_overrides_the_name(model, fit):
    history = fit(model, [EarlyStopping(monitor="loss", mode="max", patience=0)], losses(1.0, 2.0, 1.5, key="loss"))
    assert epochs_run(history) == 3


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="mode 'best' is unknown"):
        stopper = EarlyStopping(monitor="val_accuracy", mode="best")
    assert stopper.mode == "max"


def test_baseline_must_be_beaten_for_patience_to_reset(model, fit):
    values = losses(0.9, 0.95, 0.96, 0.97, 0.98)
    assert epochs_run(fit(model, [EarlyStopping(patience=2)], values)) == 3
    assert epochs_run(fit(model, [EarlyStopping(patience=2, baseline=0.5)], values)) == 2
    beaten = losses(0.4, 0.45, 0.46, 0.47)
    assert epochs_run(fit(model, [EarlyStopping(patience=2, baseline=0.5)], beaten)) == 3


def test_restore_best_weights_restores_the_best_epoch(model, fit):
    # The fake fit leaves weights equal to the epoch index at the end of each epoch.
    stopper = EarlyStopping(patience=2, restore_best_weights=True)
    fit(model, [stopper], losses(1.0, 0.5, 0.7, 0.8, 0.9))
    assert stopper.best_epoch == 1
    assert all(np.all(w == 1) for w in model.get_weights())


def test_restore_best_weights_also_applies_without_stopping(model, fit):
    fit(model, [EarlyStopping(patience=10, restore_best_weights=True)], losses(1.0, 0.5, 0.7))
    assert all(np.all(w == 1) for w in model.get_weights())


def test_weights_are_kept_without_restore_best_weights(model, fit):
    fit(model, [EarlyStopping(patience=2)], losses(1.0, 0.5, 0.7, 0.8, 0.9))
    assert all(np.all(w == 3) for w in model.get_weights())


def test_start_from_epoch_ignores_warm_up_epochs(model, fit):
    values = losses(1.0, 2.0, 3.0, 4.0, 5.0)
    assert epochs_run(fit(model, [EarlyStopping(patience=0)], values)) == 2
    assert epochs_run(fit(model, [EarlyStopping(patience=0, start_from_epoch=2)], values)) == 4


def test_missing_monitor_warns_with_the_available_keys(model, fit):
    with pytest.warns(UserWarning, match=r"`val_loss`, which is not available\. Did you mean 'loss'\?.*loss, acc"):
        history = fit(model, [EarlyStopping(patience=0)], [{"loss": 1.0, "acc": 0.1}, {"loss": 2.0, "acc": 0.1}])
    assert epochs_run(history) == 2


def test_an_instance_can_be_reused(model, fit):
    stopper = EarlyStopping(patience=0, monitor="loss")
    fit(model, [stopper], losses(0.1, 0.2, key="loss"))
    assert epochs_run(fit(model, [stopper], losses(5.0, 4.0, 3.0, key="loss"))) == 3


def test_verbose_reports_stop_and_restore(model, fit, capsys):
    fit(model, [EarlyStopping(patience=1, verbose=1, restore_best_weights=True)], losses(1.0, 2.0, 3.0))
    out = capsys.readouterr().out
    assert "Epoch 2: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 1." in out
