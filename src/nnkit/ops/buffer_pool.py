"""Large arrays that kernels hand back when done, so that a training step reuses the previous step's buffers:
fresh multi-megabyte arrays every step cost page faults (the allocator returns freed memory to the system),
which on the fused NumPy recurrences cost as much as their arithmetic."""
import collections


class BufferPool:
    """Free arrays by (array module, shape, dtype), at most `max_bytes` of them (the longest-unused dropped first).

    `give` only appends to a queue, so it is safe where it runs: in weakref callbacks, at any moment of any
    thread. `take` moves that queue into the free lists; it must not run on two threads at once for one pool
    (kernels give each thread its own pool)."""

    def __init__(self, max_bytes=256 * 2**20):
        self.max_bytes = max_bytes
        self._returned = collections.deque()
        self._free = collections.OrderedDict()  # key -> arrays, the least recently returned key first
        self._bytes = 0

    def take(self, xp, shape, dtype):
        """An uninitialized array: one handed back earlier with this shape and dtype, else a new one."""
        self._collect()
        key = (xp.__name__, tuple(shape), xp.dtype(dtype).str)
        arrays = self._free.get(key)
        if not arrays:
            return xp.empty(shape, dtype=dtype)
        array = arrays.pop()
        if not arrays:
            del self._free[key]
        self._bytes -= array.nbytes
        return array

    def give(self, xp, arrays):
        """Hand back arrays that nothing else refers to any more."""
        self._returned.append((xp.__name__, arrays))

    def _collect(self):
        while self._returned:
            module, arrays = self._returned.popleft()
            for array in arrays:
                key = (module, array.shape, array.dtype.str)
                self._free.setdefault(key, []).append(array)
                self._free.move_to_end(key)
                self._bytes += array.nbytes
        while self._bytes > self.max_bytes:
            key, arrays = next(iter(self._free.items()))
            self._bytes -= arrays.pop(0).nbytes
            if not arrays:
                del self._free[key]
