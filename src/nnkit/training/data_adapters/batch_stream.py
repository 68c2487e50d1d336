"""One call's streamed batches: each raw batch is converted and checked as in-memory arrays are
(`convert`), then padded and uploaded (`prepare`) on a prefetch thread a few batches ahead of the loop."""
from nnkit.training.data_adapters.prefetch_queue import PrefetchQueue

PREFETCH_BATCHES = 2


class BatchStream:
    """`convert(raw batch) -> ArrayData`; `prepare(ArrayData) -> (x, y, sample_weight, valid)`. The first
    batch is converted in the caller's thread (it builds the model); the rest on the prefetch thread."""

    def __init__(self, adapter, convert, prepare, prefetch=PREFETCH_BATCHES):
        self.adapter = adapter
        self.convert = convert
        self.prepare = prepare
        self.prefetch = prefetch
        self._started = None  # (this epoch's raw iterator, its first batch converted)
        self.batch_size = None  # the first batch's size: shorter batches are padded to it

    def steps(self, batch_size=None):
        """Batches per epoch, or None where the source does not say (a generator without steps); the
        batch size is the source's own (the argument is there to match ArrayData.steps)."""
        return self.adapter.num_batches

    def first(self):
        """The first batch of the next epoch, converted: the model is built and checked against it."""
        if self._started is None:
            iterator = iter(self.adapter.epoch_batches())
            try:
                raw = next(iterator)
            except StopIteration:
                raise ValueError("The data yielded no batches: there is nothing to compute on.") from None
            self._started = (iterator, self.convert(raw))
            if self.batch_size is None:
                self.batch_size = self._started[1].size
        return self._started[1]

    def epoch(self):
        """Yield one epoch's prepared batches; the source's on_epoch_end runs after its last one."""
        self.first()
        iterator, first = self._started
        self._started = None
        yield self.prepare(first)
        queue = PrefetchQueue(iterator, lambda raw: self.prepare(self.convert(raw)), self.prefetch)
        try:
            yield from queue
        finally:
            queue.close()
        self.adapter.on_epoch_end()
