"""Add: the elementwise sum of a list of tensors."""
import functools

from nnkit import ops
from nnkit.layers.merging.base import Merge


class Add(Merge):
    """Sums a list of tensors of broadcast-compatible shapes."""

    def _merge_function(self, inputs):
        return functools.reduce(ops.add, inputs)


def add(inputs, **kwargs):
    """Functional form of Add: `add([x1, x2])`."""
    return Add(**kwargs)(inputs)
