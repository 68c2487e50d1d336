"""nnkit.ops.buffer_pool.BufferPool: arrays handed back are handed out again for the same shape and dtype only,
and the pool keeps at most max_bytes, dropping the longest-unused first."""
import numpy as np

from nnkit.ops.buffer_pool import BufferPool


def test_a_returned_array_comes_back_for_its_shape_and_dtype_only():
    pool = BufferPool()
    first = pool.take(np, (3, 4), np.float32)
    assert first.shape == (3, 4) and first.dtype == np.float32
    pool.give(np, [first])
    assert pool.take(np, (4, 3), np.float32) is not first
    assert pool.take(np, (3, 4), np.float64) is not first
    assert pool.take(np, (3, 4), "float32") is first
    assert pool.take(np, (3, 4), np.float32) is not first  # taken: no longer free


def test_several_arrays_of_one_shape_are_all_kept():
    pool = BufferPool()
    arrays = [pool.take(np, (5,), np.float32) for _ in range(3)]
    pool.give(np, arrays)
    again = [pool.take(np, (5,), np.float32) for _ in range(3)]
    assert sorted(map(id, again)) == sorted(map(id, arrays))


def test_beyond_max_bytes_the_longest_unused_are_dropped():
    old, middle, new = (np.empty(100 + k, np.float32) for k in range(3))
    pool = BufferPool(max_bytes=middle.nbytes + new.nbytes)
    pool.give(np, [old])
    pool.give(np, [middle])
    pool.give(np, [new])
    assert pool.take(np, old.shape, np.float32) is not old
    assert pool.take(np, middle.shape, np.float32) is middle
    assert pool.take(np, new.shape, np.float32) is new


def test_an_array_larger_than_the_pool_is_not_kept():
    pool = BufferPool(max_bytes=100)
    big = pool.take(np, (1000,), np.float32)
    pool.give(np, [big])
    assert pool.take(np, (1000,), np.float32) is not big
