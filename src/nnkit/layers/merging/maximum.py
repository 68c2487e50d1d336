"""Maximum: the elementwise maximum of a list of tensors."""
import functools

from nnkit import ops
from nnkit.layers.merging.base import Merge


class Maximum(Merge):
    """The elementwise maximum of a list of tensors of broadcast-compatible shapes."""

    def _merge_function(self, inputs):
        return functools.reduce(ops.maximum, inputs)


def maximum(inputs, **kwargs):
    """Functional form of Maximum: `maximum([x1, x2])`."""
    return Maximum(**kwargs)(inputs)
