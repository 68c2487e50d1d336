"""Shape manipulation: reshape, transpose, expand/squeeze, concatenate/stack, indexing, padding."""
import numpy as np

from nnkit.backends import active
from nnkit.ops.primitive import primitive, unbroadcast


class _VariadicVJP:
    """The VJP rules of a primitive taking any number of arrays: rule(i, xp, g, out, *args)."""

    def __init__(self, rule):
        self.rule = rule

    def __getitem__(self, i):
        return lambda xp, g, out, *args, **kwargs: self.rule(i, xp, g, out, *args, **kwargs)


def _in_input_shape(xp, g, out, x, *args, **kwargs):
    """The VJP of an op that keeps x's elements in order and changes only the shape: g in x's shape."""
    return g.reshape(x.shape)


@primitive
def reshape(xp, x, shape):
    return xp.reshape(x, shape)


reshape.defvjp(_in_input_shape)


@primitive
def transpose(xp, x, axes=None):
    return xp.transpose(x, axes)


def _transpose_vjp(xp, g, out, x, axes=None):
    if axes is None:
        return xp.transpose(g)
    inverse = [0] * len(axes)
    for position, axis in enumerate(axes):
        inverse[axis % len(axes)] = position
    return xp.transpose(g, inverse)


transpose.defvjp(_transpose_vjp)


def swapaxes(x, axis1, axis2):
    """`x` with two axes exchanged."""
    axes = list(range(len(x.shape)))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, tuple(axes))


@primitive
def expand_dims(xp, x, axis):
    return xp.expand_dims(x, axis)


expand_dims.defvjp(_in_input_shape)


@primitive
def squeeze(xp, x, axis=None):
    return xp.squeeze(x, axis=axis)


squeeze.defvjp(_in_input_shape)


@primitive
def broadcast_to(xp, x, shape):
    return xp.broadcast_to(x, shape)


broadcast_to.defvjp(lambda xp, g, out, x, shape: unbroadcast(xp, g, x))


@primitive
def _concatenate(xp, *arrays, axis=0):
    return xp.concatenate(arrays, axis=axis)


def _concatenate_vjp(i, xp, g, out, *arrays, axis=0):
    start = 0
    for array in arrays[:i]:
        start += array.shape[axis]
    index = [slice(None)] * g.ndim
    index[axis] = slice(start, start + arrays[i].shape[axis])
    return g[tuple(index)]


_concatenate.vjps = _VariadicVJP(_concatenate_vjp)


def concatenate(arrays, axis=0):
    """Join arrays along an existing axis."""
    return _concatenate(*arrays, axis=axis)


@primitive
def _stack(xp, *arrays, axis=0):
    return xp.stack(arrays, axis=axis)


_stack.vjps = _VariadicVJP(lambda i, xp, g, out, *arrays, axis=0: xp.take(g, i, axis=axis))


def stack(arrays, axis=0):
    """Join arrays along a new axis."""
    return _stack(*arrays, axis=axis)


def _is_basic_index(index):
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, slice)) or p is None or p is Ellipsis for p in parts)


@primitive
def getitem(xp, x, index):
    if isinstance(index, list):  # NumPy reads a list as an integer array; JAX rejects it: agree with NumPy
        index = xp.asarray(index)
    return x[index]


def _getitem_vjp(xp, g, out, x, index):
    grad = xp.zeros(x.shape, dtype=g.dtype)
    if _is_basic_index(index):
        grad[index] = g
        return grad
    return active.backend.index_add(grad, index, g)


getitem.defvjp(_getitem_vjp)


@primitive
def pad(xp, x, pad_width, constant_values=0):
    return xp.pad(x, pad_width, mode="constant", constant_values=constant_values)


def _pad_vjp(xp, g, out, x, pad_width, constant_values=0):
    # np.pad broadcasts pad_width (an int, one (before, after) pair, or one pair per axis) to every axis.
    widths = np.asarray(pad_width, dtype=int)
    widths = np.broadcast_to(widths.reshape(-1, 2) if widths.size > 1 else np.full((1, 2), widths.item()), (x.ndim, 2))
    return g[tuple(slice(int(before), int(before) + n) for (before, _), n in zip(widths, x.shape))]


pad.defvjp(_pad_vjp)


def split(x, indices_or_sections, axis=0):
    """Split `x` along `axis` into equal sections (an int) or at the given indices (a list)."""
    size = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if size % indices_or_sections:
            raise ValueError(f"Cannot split an axis of size {size} into {indices_or_sections} equal parts.")
        step = size // indices_or_sections
        bounds = list(range(0, size + 1, step))
    else:
        bounds = [0, *indices_or_sections, size]
    index = [slice(None)] * len(x.shape)
    pieces = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        index[axis] = slice(start, stop)
        pieces.append(getitem(x, tuple(index)))
    return pieces


@primitive
def tile(xp, x, repeats):
    return xp.tile(x, repeats)


def _tile_vjp(xp, g, out, x, repeats):
    repeats = (repeats,) if isinstance(repeats, int) else tuple(repeats)  # np.tile accepts a bare int
    reps = (1,) * (g.ndim - len(repeats)) + tuple(repeats)
    shape = (1,) * (g.ndim - x.ndim) + tuple(x.shape)
    split_shape = []
    for r, n in zip(reps, shape):
        split_shape += [r, n]
    summed = g.reshape(split_shape).sum(axis=tuple(range(0, 2 * len(shape), 2)))
    return summed.reshape(x.shape)


tile.defvjp(_tile_vjp)


@primitive
def repeat(xp, x, repeats, axis):
    return xp.repeat(x, repeats, axis=axis)


def _repeat_vjp(xp, g, out, x, repeats, axis):
    axis = axis % x.ndim
    shape = g.shape[:axis] + (x.shape[axis], repeats) + g.shape[axis + 1:]
    return g.reshape(shape).sum(axis=axis + 1)


repeat.defvjp(_repeat_vjp)


def shape(x):
    """The static shape of `x` as a tuple of ints."""
    return tuple(x.shape)


def ndim(x):
    """The number of axes of `x`."""
    return len(x.shape)
