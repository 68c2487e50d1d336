"""Dot: per-sample dot products of two tensors along chosen axes (Keras' batch_dot)."""
import math

from nnkit import ops
from nnkit.layers.merging.base import Merge

_EPSILON = 1e-12  # floor of the squared norm in normalize=True, as Keras' l2_normalize: zero vectors stay finite


class Dot(Merge):
    """For each sample, contracts axis axes[0] of the first input with axes[1] of the second.

    The output keeps the first input's remaining axes, then the second's: (B, n)·(B, n) -> (B, 1),
    (B, m, n)·(B, n, p) with axes=(2, 1) -> (B, m, p). With `normalize`, inputs are L2-normalised along
    the dot axes first, so the output is the cosine similarity.
    """

    min_inputs = max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        pair = (axes, axes) if isinstance(axes, int) else axes
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(
                isinstance(a, int) and not isinstance(a, bool) for a in pair):
            raise ValueError(f"Dot '{self.name}': axes must be an integer or a pair of integers, received {axes!r}.")
        self.axes = axes if isinstance(axes, int) else list(axes)
        self.normalize = normalize

    def _dot_axes(self, shapes):
        """The two contracted axes as non-negative indices, checked against the input shapes."""
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        if any(len(s) < 2 for s in shapes):
            raise self._incompatible(shapes, "Dot needs inputs of rank >= 2 (a batch axis and a dot axis)")
        if any(not -len(s) <= a < len(s) for a, s in zip(pair, shapes)):
            raise self._incompatible(shapes, f"axes {self.axes} are out of range")
        axes = [a % len(s) for a, s in zip(pair, shapes)]
        if 0 in axes:
            raise self._incompatible(shapes, f"axes {self.axes} include the batch axis 0")
        first, second = shapes[0][axes[0]], shapes[1][axes[1]]
        if first is not None and second is not None and first != second:
            raise self._incompatible(shapes, f"the dot axes have different sizes: {first} (axis {axes[0]} of "
                                             f"input 0) and {second} (axis {axes[1]} of input 1)")
        return axes

    def compute_output_shape(self, input_shape):
        shapes = self._input_shapes(input_shape)
        axes = self._dot_axes(shapes)
        batch = self._batch_size(shapes)
        rest = [d for i, d in enumerate(shapes[0]) if i not in (0, axes[0])]
        rest += [d for i, d in enumerate(shapes[1]) if i not in (0, axes[1])]
        return (batch,) + (tuple(rest) or (1,))

    def compute_mask(self, inputs, mask=None):
        """Keras 3: the dot product of two sequences carries no mask."""
        return None

    def call(self, inputs):
        x, y = inputs
        x_axis, y_axis = self._dot_axes([tuple(x.shape), tuple(y.shape)])
        if self.normalize:
            x, y = _l2_normalize(x, x_axis), _l2_normalize(y, y_axis)
        return _batch_dot(x, y, x_axis, y_axis)

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x, axis):
    squared = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.divide(x, ops.sqrt(ops.maximum(squared, _EPSILON)))


def _move_axis(x, source, destination):
    order = [i for i in range(len(x.shape)) if i != source]
    order.insert(destination, source)
    return x if order == sorted(order) else ops.transpose(x, tuple(order))


def _batch_dot(x, y, x_axis, y_axis):
    """One matmul per batch: x -> (B, rest_x, n), y -> (B, n, rest_y), then unflatten the rests."""
    x = _move_axis(x, x_axis, len(x.shape) - 1)
    y = _move_axis(y, y_axis, 1)
    batch, size = x.shape[0], x.shape[-1]
    x_rest, y_rest = tuple(x.shape[1:-1]), tuple(y.shape[2:])
    out = ops.matmul(ops.reshape(x, (batch, math.prod(x_rest), size)), ops.reshape(y, (batch, size, math.prod(y_rest))))
    return ops.reshape(out, (batch,) + (x_rest + y_rest or (1,)))


def dot(inputs, axes, normalize=False, **kwargs):
    """Functional form of Dot: `dot([x1, x2], axes=1)`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
