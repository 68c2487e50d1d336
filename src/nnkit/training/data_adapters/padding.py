"""Padding a batch smaller than the call's batch size up to it, so that a compiling backend (JAX) runs
the step it has compiled already. Padding rows repeat the last real row (finite values, valid labels)
and the returned `valid` row mask (1 real, 0 padding) keeps them out of loss and metrics."""
import numpy as np


def _pad_rows(array, size):
    return np.concatenate([array, np.repeat(array[-1:], size - len(array), axis=0)])


def can_pad(arrays):
    """Only host arrays are padded (arrays already on a device are left to the compiler)."""
    return all(isinstance(a, np.ndarray) for a in arrays)


def pad_batch(x, y, sample_weight, size):
    """(x, y, sample_weight, valid) with `size` rows; the real rows are the first len(x[0])."""
    count = len(x[0])
    valid = np.zeros(size, np.float32)
    valid[:count] = 1
    return ([_pad_rows(a, size) for a in x], None if y is None else [_pad_rows(a, size) for a in y],
            None if sample_weight is None else _pad_rows(sample_weight, size), valid)


def pad_index_row(rows, size):
    """A one-row index matrix of a short last batch padded to `size` columns, and its valid mask."""
    count = rows.shape[1]
    valid = np.zeros(size, np.float32)
    valid[:count] = 1
    return np.concatenate([rows, np.repeat(rows[:, -1:], size - count, axis=1)], axis=1), valid
