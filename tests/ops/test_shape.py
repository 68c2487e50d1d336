"""nnkit.ops.shape: reshapes, joins, splits, indexing (basic and advanced), pad, tile, repeat."""

import numpy as np
import pytest

import nnkit.ops as ops
from gradcheck import Case, conformance_tests, to_host


def _rand(shape, seed):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, shape)


X = _rand((2, 3, 4), 0)
M = _rand((4, 5), 1)
_MASK = np.array([True, False, True, True])

CASES = {
    # reshape / transpose / swapaxes / expand_dims / squeeze / broadcast_to
    "reshape": Case(lambda x: ops.reshape(x, (6, 4)), lambda x: x.reshape(6, 4), (X,)),
    "reshape-minus-one": Case(lambda x: ops.reshape(x, (4, -1, 2)), lambda x: x.reshape(4, 3, 2), (X,), jax=False),
    "transpose-default": Case(ops.transpose, lambda x: x.transpose(2, 1, 0), (X,)),
    "transpose-axes": Case(lambda x: ops.transpose(x, (2, 0, 1)), lambda x: x.transpose(2, 0, 1), (X,)),
    "transpose-negative-axes": Case(lambda x: ops.transpose(x, (-1, 0, 1)), lambda x: x.transpose(2, 0, 1), (X,), jax=False),
    "swapaxes": Case(lambda x: ops.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2), (X,)),
    "swapaxes-negative": Case(lambda x: ops.swapaxes(x, -1, -2), lambda x: np.swapaxes(x, 2, 1), (X,), jax=False),
    "T": Case(lambda x: ops.transpose(x) if isinstance(x, np.ndarray) else x.T, lambda x: x.T, (M,), jax=False),
    "expand_dims-0": Case(lambda x: ops.expand_dims(x, 0), lambda x: x[None], (X,)),
    "expand_dims-negative": Case(lambda x: ops.expand_dims(x, -1), lambda x: x[..., None], (X,), jax=False),
    "expand_dims-tuple": Case(lambda x: ops.expand_dims(x, (0, 3)), lambda x: x[None, :, :, None], (M,), jax=False),
    "squeeze-all": Case(ops.squeeze, lambda x: x.reshape(3, 4), (_rand((1, 3, 1, 4), 2),)),
    "squeeze-axis": Case(lambda x: ops.squeeze(x, axis=2), lambda x: x.reshape(1, 3, 4), (_rand((1, 3, 1, 4), 2),), jax=False),
    "squeeze-axes": Case(lambda x: ops.squeeze(x, axis=(0, -2)), lambda x: x.reshape(3, 4), (_rand((1, 3, 1, 4), 2),), jax=False),
    "broadcast_to": Case(lambda x: ops.broadcast_to(x, (2, 3, 4)), lambda x: np.tile(x, (2, 1, 4)), (_rand((3, 1), 3),)),
    "broadcast_to-prepend": Case(lambda x: ops.broadcast_to(x, (3, 4)), lambda x: np.tile(x, (3, 1)), (_rand((4,), 3),), jax=False),
    # concatenate / stack / split
    "concatenate-axis0": Case(
        lambda a, b, c: ops.concatenate([a, b, c], axis=0),
        lambda a, b, c: np.vstack([a, b, c]), (_rand((2, 3), 4), _rand((1, 3), 5), _rand((3, 3), 6)),
    ),
    "concatenate-axis-1": Case(
        lambda a, b: ops.concatenate([a, b], axis=-1),
        lambda a, b: np.hstack([a, b]), (_rand((2, 3), 4), _rand((2, 1), 5)), jax=False,
    ),
    "concatenate-mixed-constant": Case(
        lambda a: ops.concatenate([a, np.ones((1, 3), np.float32), a], axis=0),
        lambda a: np.vstack([a, np.ones((1, 3)), a]), (_rand((2, 3), 4),), jax=False,
    ),
    "stack-axis0": Case(lambda a, b: ops.stack([a, b]), lambda a, b: np.array([a, b]), (_rand((2, 3), 7), _rand((2, 3), 8))),
    "stack-axis1": Case(
        lambda a, b: ops.stack([a, b], axis=1), lambda a, b: np.array([a, b]).transpose(1, 0, 2),
        (_rand((2, 3), 7), _rand((2, 3), 8)), jax=False,
    ),
    "stack-axis-1": Case(
        lambda a, b, c: ops.stack([a, b, c], axis=-1), lambda a, b, c: np.array([a, b, c]).transpose(1, 2, 0),
        (_rand((2, 3), 7), _rand((2, 3), 8), _rand((2, 3), 9)), jax=False,
    ),
    "split-sections": Case(lambda x: ops.split(x, 2, axis=0), lambda x: [x[:1], x[1:]], (X,)),
    "split-indices": Case(
        lambda x: ops.split(x, [1, 3], axis=2), lambda x: [x[..., :1], x[..., 1:3], x[..., 3:]], (X,), jax=False,
    ),
    "split-negative-axis": Case(lambda x: ops.split(x, 3, axis=-2), lambda x: [x[:, :1], x[:, 1:2], x[:, 2:]], (X,), jax=False),
    # getitem: basic
    "getitem-int": Case(lambda x: ops.getitem(x, 1), lambda x: x[1], (X,)),
    "getitem-slices": Case(lambda x: ops.getitem(x, (slice(None), slice(1, 3))), lambda x: x[:, 1:3], (X,)),
    "getitem-negative-step": Case(lambda x: ops.getitem(x, (slice(None, None, -1), 0, slice(None, None, 2))), lambda x: x[::-1, 0, ::2], (X,), jax=False),
    "getitem-ellipsis": Case(lambda x: ops.getitem(x, (Ellipsis, -1)), lambda x: x[..., -1], (X,), jax=False),
    "getitem-newaxis": Case(lambda x: ops.getitem(x, (None, 1, slice(None), None)), lambda x: x[None, 1, :, None], (X,), jax=False),
    "getitem-operator": Case(lambda x: x[1:, -1] if not isinstance(x, np.ndarray) else ops.getitem(x, (slice(1, None), -1)),
                             lambda x: x[1:, -1], (X,), jax=False),
    # getitem: advanced (integer arrays, repeats accumulate gradient), mixed, boolean
    "getitem-array-repeats": Case(lambda x: ops.getitem(x, np.array([0, 3, 3, 1, 3])), lambda x: x[[0, 3, 3, 1, 3]], (M,)),
    "getitem-list-repeats": Case(lambda x: ops.getitem(x, [2, 2, 0]), lambda x: x[[2, 2, 0]], (M,)),
    "getitem-2d-index-array": Case(lambda x: ops.getitem(x, np.array([[0, 1], [1, 1]])), lambda x: x[np.array([[0, 1], [1, 1]])], (M,), jax=False),
    "getitem-slice-and-array": Case(lambda x: ops.getitem(x, (slice(None), np.array([4, 0, 4]))), lambda x: x[:, [4, 0, 4]], (M,)),
    "getitem-two-arrays": Case(
        lambda x: ops.getitem(x, (np.array([0, 1, 1, 0]), np.array([2, 2, 2, 2]))), lambda x: x[[0, 1, 1, 0], [2, 2, 2, 2]], (M,),
        jax=False,
    ),
    "getitem-negative-indices": Case(lambda x: ops.getitem(x, np.array([-1, -1, 0])), lambda x: x[[3, 3, 0]], (M,), jax=False),
    "getitem-bool-mask": Case(lambda x: ops.getitem(x, _MASK), lambda x: x[_MASK], (M,)),
    "getitem-numpy-int": Case(lambda x: ops.getitem(x, np.int64(2)), lambda x: x[2], (M,), jax=False),
    # pad / tile / repeat
    "pad": Case(lambda x: ops.pad(x, ((1, 2), (0, 1), (2, 0))), lambda x: np.pad(x, ((1, 2), (0, 1), (2, 0))), (X,)),
    "pad-constant": Case(
        lambda x: ops.pad(x, ((0, 1), (3, 1)), constant_values=0.5),
        lambda x: np.pad(x, ((0, 1), (3, 1)), constant_values=0.5), (M,), jax=False,
    ),
    "pad-int": Case(lambda x: ops.pad(x, 1), lambda x: np.pad(x, ((1, 1), (1, 1))), (M,), jax=False),
    "pad-one-pair": Case(lambda x: ops.pad(x, ((2, 1),)), lambda x: np.pad(x, ((2, 1), (2, 1), (2, 1))), (X,), jax=False),
    "tile": Case(lambda x: ops.tile(x, (2, 1, 3)), lambda x: np.concatenate([np.concatenate([x] * 3, axis=2)] * 2, axis=0), (X,)),
    "tile-fewer-reps": Case(lambda x: ops.tile(x, (2,)), lambda x: np.concatenate([x, x], axis=-1), (M,), jax=False),
    "tile-more-reps": Case(lambda x: ops.tile(x, (3, 1, 2)), lambda x: np.stack([np.concatenate([x, x], axis=1)] * 3), (M,), jax=False),
    "tile-int": Case(lambda x: ops.tile(x, 3), lambda x: np.concatenate([x] * 3, axis=-1), (M,), jax=False),
    "repeat-axis0": Case(lambda x: ops.repeat(x, 2, axis=0), lambda x: x[[0, 0, 1, 1, 2, 2, 3, 3]], (M,)),
    "repeat-axis-1": Case(lambda x: ops.repeat(x, 3, axis=-1), lambda x: x[..., np.arange(12) // 3], (X,), jax=False),
}

(test_forward_matches_float64_reference, test_float32_stays_float32, test_gradient_matches_finite_differences,
 test_tape_gradient_matches_jax) = conformance_tests(CASES)


def test_getitem_repeated_index_accumulates_exact_counts(backend):
    """x[[0, 3, 3, 1, 3]] summed: row 3 is read three times, so its gradient is 3 (not 1)."""
    x = backend.asarray(np.zeros((4, 2), np.float32))
    (_, _), (grad,) = backend.value_and_grad(lambda p: (ops.sum(ops.getitem(p[0], np.array([0, 3, 3, 1, 3]))), None))([x])
    np.testing.assert_array_equal(to_host(grad), [[1, 1], [1, 1], [0, 0], [3, 3]])


def test_split_validates_sections(backend):
    with pytest.raises(ValueError, match="equal"):
        ops.split(backend.asarray(np.zeros((5, 2))), 2)


def test_shape_and_ndim(backend):
    x = backend.asarray(np.zeros((2, 3, 4), np.float32))
    assert ops.shape(x) == (2, 3, 4) and all(type(n) is int for n in ops.shape(x))
    assert ops.ndim(x) == 3
    assert ops.shape(backend.asarray(np.float32(1.0))) == ()


def test_concatenate_and_stack_keep_integer_dtype(backend):
    a = backend.asarray(np.array([1, 2], np.int32))
    assert np.dtype(ops.concatenate([a, a]).dtype) == np.int32
    assert np.dtype(ops.stack([a, a]).dtype) == np.int32
