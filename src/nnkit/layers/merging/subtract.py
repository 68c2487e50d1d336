"""Subtract: the difference of exactly two tensors."""
from nnkit import ops
from nnkit.layers.merging.base import Merge


class Subtract(Merge):
    """inputs[0] - inputs[1], for exactly two tensors of broadcast-compatible shapes."""

    max_inputs = 2

    def _merge_function(self, inputs):
        return ops.subtract(inputs[0], inputs[1])


def subtract(inputs, **kwargs):
    """Functional form of Subtract: `subtract([x1, x2])`."""
    return Subtract(**kwargs)(inputs)
