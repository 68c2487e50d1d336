"""Average: the elementwise mean of a list of tensors."""
import functools

from nnkit import ops
from nnkit.layers.merging.base import Merge


class Average(Merge):
    """Averages a list of tensors of broadcast-compatible shapes elementwise."""

    def _merge_function(self, inputs):
        return ops.divide(functools.reduce(ops.add, inputs), len(inputs))


def average(inputs, **kwargs):
    """Functional form of Average: `average([x1, x2])`."""
    return Average(**kwargs)(inputs)
