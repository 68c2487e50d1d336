"""A background thread that runs a batch pipeline (fetch, convert, pad, upload) a few batches ahead of
the training loop, so the device does not wait on Python batching."""
import contextvars
import queue
import threading

_DONE = object()


class PrefetchQueue:
    """Iterates `transform(item)` for the items of `iterable`, computed on a thread up to `size` ahead.
    An exception in the pipeline is raised in the consumer at the point it occurred."""

    def __init__(self, iterable, transform, size=2):
        self._queue = queue.Queue(maxsize=max(size, 1))
        self._stop = threading.Event()
        context = contextvars.copy_context()  # the active backend and settings of the caller
        self._thread = threading.Thread(target=context.run, args=(self._run, iterable, transform), daemon=True,
                                        name="nnkit-prefetch")
        self._thread.start()

    def _put(self, item):
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, iterable, transform):
        try:
            for item in iterable:
                if not self._put((transform(item), None)):
                    return
        except BaseException as error:  # handed to the consumer, raised there
            self._put((None, error))
            return
        self._put((_DONE, None))

    def __iter__(self):
        try:
            while True:
                item, error = self._queue.get()
                if error is not None:
                    raise error
                if item is _DONE:
                    return
                yield item
        finally:
            self.close()

    def close(self):
        """Stop the thread (an epoch left early, by stop_training or an error)."""
        self._stop.set()
        self._thread.join(timeout=5)
