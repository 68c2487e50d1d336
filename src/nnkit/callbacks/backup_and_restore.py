"""BackupAndRestore: back up weights, optimizer state and the epoch counter during fit, so that a run killed
mid-training restarts from its last backup (Keras 3's callback). A backup is one atomically written file."""
import json
import os
import shutil

from nnkit.callbacks._keywords import check_keywords
from nnkit.callbacks._save_frequency import SaveFrequency
from nnkit.callbacks.callback import Callback
from nnkit.saving.atomic import atomic_path
from nnkit.saving.saving_api import save_weights, weights_file_attributes

_PROGRESS = "training_metadata"


class BackupAndRestore(Callback):
    """Backs up to `backup_dir` every epoch (or every `save_freq` batches: the epoch in progress then restarts
    from its first batch with the backed-up state, as in Keras); the backup is deleted when fit ends normally
    unless delete_checkpoint=False. With double_checkpoint=True the previous backup is kept as a fallback."""

    @check_keywords
    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir must be a folder path; received an empty value.")
        self.backup_dir = str(backup_dir)
        self._frequency = SaveFrequency(save_freq, "BackupAndRestore")
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._latest = os.path.join(self.backup_dir, "latest.weights.h5")
        self._previous = os.path.join(self.backup_dir, "previous.weights.h5")
        self._current_epoch = 0

    def on_train_begin(self, logs=None):
        if not self.model.built:
            raise ValueError(f"To use the BackupAndRestore callback, the model must be built before fit(). Model "
                             f"'{self.model.name}' is unbuilt: call it on a batch of data first.")
        backups = [p for p in (self._latest, self._previous) if os.path.exists(p)]
        for position, path in enumerate(backups):
            try:
                self._restore(path)
                return
            except (OSError, ValueError):
                if position == len(backups) - 1:
                    raise

    def _restore(self, path):
        progress = json.loads(weights_file_attributes(path)[_PROGRESS])
        self.model.load_weights(path)
        self._current_epoch = int(progress["epoch"])
        self.model._initial_epoch = self._current_epoch

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._frequency.batch_ended():
            self._save(batch)

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        if self._frequency.per_epoch:
            self._save(None)

    def _save(self, batch):
        """Write the backup (weights, optimizer state and progress in one file), keeping the last one as
        the fallback first when asked; each step is atomic."""
        if not self._on_chief():
            return
        if self.double_checkpoint and os.path.exists(self._latest):
            with atomic_path(self._previous) as temporary:
                shutil.copyfile(self._latest, temporary)
        progress = json.dumps({"epoch": self._current_epoch, "batch": batch})
        save_weights(self.model, self._latest, attributes={_PROGRESS: progress})

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and self._on_chief():
            for path in (self._latest, self._previous):
                if os.path.exists(path):
                    os.remove(path)
