"""Multiply: the elementwise product of a list of tensors."""
import functools

from nnkit import ops
from nnkit.layers.merging.base import Merge


class Multiply(Merge):
    """Multiplies a list of tensors of broadcast-compatible shapes elementwise."""

    def _merge_function(self, inputs):
        return functools.reduce(ops.multiply, inputs)


def multiply(inputs, **kwargs):
    """Functional form of Multiply: `multiply([x1, x2])`."""
    return Multiply(**kwargs)(inputs)
