"""ModelCheckpoint: save the model (or its weights) during fit, every epoch or every N batches, optionally
only when a monitored value improves (Keras 3's callback). Each file is written atomically."""
from nnkit.callbacks._keywords import check_keywords
from nnkit.callbacks._monitor import Monitor
from nnkit.callbacks._save_frequency import SaveFrequency
from nnkit.callbacks.callback import Callback


class ModelCheckpoint(Callback):
    """`filepath` may hold `{epoch}` and log fields (`{val_loss:.2f}`); whole models go to '.keras' (or '.h5'),
    weights (save_weights_only=True) to '.weights.h5'."""

    @check_keywords
    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        self.filepath = str(filepath)
        if save_weights_only and not self.filepath.endswith(".weights.h5"):
            raise ValueError(f"When using save_weights_only=True in ModelCheckpoint, the filepath provided must end "
                             f"in '.weights.h5' (Keras weights format). Received: filepath={self.filepath}")
        if not save_weights_only and not self.filepath.endswith((".keras", ".h5")):
            raise ValueError(f"The filepath provided must end in '.keras' (Keras model format). Received: "
                             f"filepath={self.filepath}")
        self.monitor = monitor
        self._monitor = Monitor(monitor, mode, 0, "ModelCheckpoint")
        self.mode = self._monitor.mode
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self._frequency = SaveFrequency(save_freq, "ModelCheckpoint")
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self.best = self._monitor.worst() if initial_value_threshold is None else initial_value_threshold
        self._current_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._frequency.batch_ended():
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._frequency.per_epoch:
            self._save(epoch, None, logs)

    def _file_path(self, epoch, batch, logs):
        fields = {key: float(value) for key, value in (logs or {}).items()}
        try:
            if batch is None or "batch" in fields:
                return self.filepath.format(epoch=epoch + 1, **fields)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **fields)
        except KeyError as error:
            raise KeyError(f"Failed to format this callback filepath: \"{self.filepath}\". Reason: the logs have no "
                           f"value {error}; they have {sorted(fields)}.") from None

    def _save(self, epoch, batch, logs):
        path = self._file_path(epoch, batch, logs)
        if self.save_best_only:
            current = self._monitor.value(logs)
            if current is None:
                return
            if not self._monitor.improved(current, self.best):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, saving "
                      f"model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        if not self._on_chief():
            return
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)
