"""EarlyStopping: end training once a monitored value stops improving."""
from nnkit.callbacks._keywords import check_keywords
from nnkit.callbacks._monitor import Monitor
from nnkit.callbacks.callback import Callback


class EarlyStopping(Callback):
    """Stops fit after `patience` epochs without an improvement of more than `min_delta`, as Keras 3 does;
    patience resets only on epochs that also beat `baseline`, and `restore_best_weights` acts at the end."""

    @check_keywords
    def __init__(
        self,
        monitor="val_loss",
        min_delta=0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        super().__init__()
        self.monitor = monitor
        self._monitor = Monitor(monitor, mode, min_delta, "EarlyStopping")
        self.mode = self._monitor.mode
        self.min_delta = self._monitor.min_delta
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self._reset()

    def on_train_begin(self, logs=None):
        self._reset()

    def _reset(self):
        """Clear the counters, so one instance can serve several fits."""
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self._monitor.worst()
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self._copy_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._monitor.improved(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self._copy_weights()
            if self.baseline is None or self._monitor.improved(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def _copy_weights(self):
        """The model's weights, copied so later in-place updates cannot change the saved best."""
        return [weight.copy() for weight in self.model.get_weights()]

    def get_monitor_value(self, logs):
        """The monitored value from `logs` as a float, or None with a warning when it is missing."""
        return self._monitor.value(logs)
