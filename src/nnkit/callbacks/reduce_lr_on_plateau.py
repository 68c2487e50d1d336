"""ReduceLROnPlateau: cut the learning rate when a monitored value stops improving."""
import numpy as np

from nnkit.callbacks._keywords import check_keywords
from nnkit.callbacks._learning_rate import get_learning_rate, set_learning_rate
from nnkit.callbacks._monitor import Monitor
from nnkit.callbacks.callback import Callback


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by `factor` (not below `min_lr`) after `patience` epochs without
    improvement, then waits `cooldown` epochs before counting again (Keras semantics)."""

    @check_keywords
    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
    ):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.monitor = monitor
        self._monitor = Monitor(monitor, mode, min_delta, "ReduceLROnPlateau")
        self.mode = self._monitor.mode
        self.min_delta = self._monitor.min_delta
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = min_lr
        self._reset()

    def _reset(self):
        """Clear the counters, so one instance can serve several fits."""
        self.wait = 0
        self.cooldown_counter = 0
        self.best = self._monitor.worst()

    def on_train_begin(self, logs=None):
        self._reset()
        get_learning_rate(self.model, "ReduceLROnPlateau")  # fail before training if the rate is a schedule

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = get_learning_rate(self.model, "ReduceLROnPlateau")
        current = self._monitor.value(logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._monitor.improved(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch, logs["learning_rate"])

    def _reduce(self, epoch, old_rate):
        # Compare in float32, the precision optimizers keep the rate in, so min_lr is not undercut forever.
        if old_rate > np.float32(self.min_lr):
            new_rate = max(old_rate * self.factor, self.min_lr)
            set_learning_rate(self.model, new_rate)
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_rate}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0
