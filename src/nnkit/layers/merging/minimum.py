"""Minimum: the elementwise minimum of a list of tensors."""
import functools

from nnkit import ops
from nnkit.layers.merging.base import Merge


class Minimum(Merge):
    """The elementwise minimum of a list of tensors of broadcast-compatible shapes."""

    def _merge_function(self, inputs):
        return functools.reduce(ops.minimum, inputs)


def minimum(inputs, **kwargs):
    """Functional form of Minimum: `minimum([x1, x2])`."""
    return Minimum(**kwargs)(inputs)
