"""PyDataset: Keras 3's base class for data served batch by batch from Python (files on disk, augmentation)."""


class PyDataset:
    """Subclass it with `__len__` (the number of batches) and `__getitem__(index)` (batch `index`: x, (x, y)
    or (x, y, sample_weight)); `on_epoch_end` runs after each epoch. `workers` > 1 fetches batches in
    parallel, on threads or, with `use_multiprocessing`, processes; at most `max_queue_size` ahead."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return self._workers

    @property
    def use_multiprocessing(self):
        return self._use_multiprocessing

    @property
    def max_queue_size(self):
        return self._max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index) returning batch `index`.")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__() returning the number of batches.")

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_begin(self):
        """Called before each epoch."""

    def on_epoch_end(self):
        """Called after each epoch (reshuffle file lists here)."""
