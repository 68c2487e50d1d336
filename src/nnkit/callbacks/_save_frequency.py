"""SaveFrequency: when a callback writes, once per epoch ('epoch') or every N training batches; one rule for
ModelCheckpoint's and BackupAndRestore's `save_freq` and TensorBoard's `update_freq`."""


class SaveFrequency:
    """'epoch', or a positive number of training batches counted across epochs since the last write.
    With `batch_name=True`, 'batch' is also accepted and means every batch (TensorBoard's spelling)."""

    def __init__(self, freq, owner, argument="save_freq", batch_name=False):
        if batch_name and freq == "batch":
            freq = 1
        if freq != "epoch" and not (isinstance(freq, int) and not isinstance(freq, bool) and freq > 0):
            named = "'epoch', 'batch'" if batch_name else "'epoch'"
            raise ValueError(f"{owner}: unrecognized {argument}: {freq!r}. Expected {argument} to be {named} or "
                             f"a positive integer (a number of batches).")
        self.value = freq
        self.per_epoch = freq == "epoch"
        self._since_write = 0

    def batch_ended(self):
        """Count one training batch; True (and restart the count) when a per-batch write is due."""
        if self.per_epoch:
            return False
        self._since_write += 1
        if self._since_write >= self.value:
            self._since_write = 0
            return True
        return False

    def restart(self):
        """Count batches from zero again (TensorBoard does at the start of each fit)."""
        self._since_write = 0
