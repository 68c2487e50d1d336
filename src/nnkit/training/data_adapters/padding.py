"""Padding a batch smaller than the call's batch size up to it, so that a compiling backend (JAX) runs
the step it has compiled already. Padding rows repeat the last real row (finite values, valid labels)
and the returned `valid` row mask (1 real, 0 padding) keeps them out of loss and metrics."""
import numpy as np


def _pad_rows(array, size):
    return np.concatenate([array, np.repeat(array[-1:], size - len(array), axis=0)])


def _valid(count, size):
    """The row mask of a padded batch: 1 for its first `count` (real) rows, 0 for the rest of `size`."""
    valid = np.zeros(size, np.float32)
    valid[:count] = 1
    return valid


def can_pad(arrays):
    """Only host arrays are padded (arrays already on a device are left to the compiler)."""
    return all(isinstance(a, np.ndarray) for a in arrays)


def pad_batch(x, y, sample_weight, size):
    """(x, y, sample_weight, valid) with `size` rows; the real rows are the first len(x[0])."""
    valid = _valid(len(x[0]), size)
    return ([_pad_rows(a, size) for a in x], None if y is None else [_pad_rows(a, size) for a in y],
            None if sample_weight is None else _pad_rows(sample_weight, size), valid)


def pad_index_row(rows, size):
    """A one-row index matrix of a short last batch padded to `size` columns, and its valid mask."""
    count = rows.shape[1]
    return np.concatenate([rows, np.repeat(rows[:, -1:], size - count, axis=1)], axis=1), _valid(count, size)
