"""nnkit.utils.PyDataset: batches by index, fetched ahead by `workers` threads or processes, at most
`max_queue_size` in flight; `__len__` is checked against what `__getitem__` can serve."""
import concurrent.futures
import functools
import itertools
from collections import deque

_worker_dataset = None  # a worker process's copy of the dataset


def _set_worker_dataset(dataset):
    global _worker_dataset
    _worker_dataset = dataset


def _get_in_worker(index):
    return _worker_dataset[index]


class PyDatasetAdapter:
    def __init__(self, dataset, steps=None, shuffle=False, rng=None):
        self.dataset = dataset
        self.steps = steps
        self.shuffle = shuffle
        self.rng = rng
        self.name = f"PyDataset '{type(dataset).__name__}'"
        length = len(dataset)
        if not isinstance(length, int) or length < 0:
            raise ValueError(f"{self.name}: __len__() must return the number of batches, received {length!r}.")
        self.length = length

    @property
    def num_batches(self):
        return self.length if self.steps is None else min(self.steps, self.length)

    def _indices(self):
        order = self.rng.permutation(self.length) if self.shuffle else range(self.length)
        return [int(i) for i in itertools.islice(order, self.num_batches)]

    def _fetch(self, index, get):
        """get(index), with IndexError inside __len__ and a None batch turned into errors that say so."""
        try:
            batch = get(index)
        except IndexError as error:
            raise ValueError(f"{self.name} says __len__() = {self.length}, but __getitem__({index}) raised "
                             f"IndexError: {error}. __len__ must return the number of batches __getitem__ "
                             f"serves.") from error
        if batch is None:
            raise ValueError(f"{self.name}.__getitem__({index}) returned None, though __len__() = {self.length}.")
        return batch

    def epoch_batches(self):
        self.dataset.on_epoch_begin()
        indices = self._indices()
        workers = max(int(getattr(self.dataset, "workers", 1) or 1), 1)
        if workers == 1:
            for index in indices:
                yield self._fetch(index, self.dataset.__getitem__)
            return
        yield from self._parallel(indices, workers)

    def _parallel(self, indices, workers):
        """Batches in order, with up to max_queue_size fetches running on the pool."""
        in_flight = max(int(getattr(self.dataset, "max_queue_size", 10) or 10), 1)
        if getattr(self.dataset, "use_multiprocessing", False):
            pool = concurrent.futures.ProcessPoolExecutor(workers, initializer=_set_worker_dataset,
                                                          initargs=(self.dataset,))
            get = _get_in_worker
        else:
            pool = concurrent.futures.ThreadPoolExecutor(workers)
            get = self.dataset.__getitem__
        pending = deque()

        def result(future, _index):
            return future.result()

        try:
            for index in indices:
                pending.append((index, pool.submit(get, index)))
                if len(pending) >= in_flight:
                    index, future = pending.popleft()
                    yield self._fetch(index, functools.partial(result, future))
            while pending:
                index, future = pending.popleft()
                yield self._fetch(index, functools.partial(result, future))
        finally:
            for _, future in pending:
                future.cancel()
            pool.shutdown(wait=False, cancel_futures=True)

    def on_epoch_end(self):
        self.dataset.on_epoch_end()
