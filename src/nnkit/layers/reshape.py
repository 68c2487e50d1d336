"""Reshape: gives each sample a new shape (one axis may be -1)."""
import math

from nnkit import ops
from nnkit.layers.layer import Layer


class Reshape(Layer):
    """(batch, ...) -> (batch, *target_shape), with at most one -1 inferred from the size."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError(f"Reshape '{self.name}': at most one axis may be -1, received {self.target_shape}.")

    def _resolved(self, input_shape):
        size = None if any(d is None for d in input_shape[1:]) else math.prod(input_shape[1:])
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if size is None:
                return tuple(None if d == -1 else d for d in self.target_shape)
            if size % known:
                raise ValueError(f"Reshape '{self.name}': cannot reshape input of shape {tuple(input_shape)} "
                                 f"into target shape {self.target_shape}.")
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if size is not None and size != known:
            raise ValueError(f"Reshape '{self.name}': input of shape {tuple(input_shape)} has {size} values per "
                             f"sample, target shape {self.target_shape} has {known}.")
        return self.target_shape

    def call(self, inputs):
        return ops.reshape(inputs, (inputs.shape[0],) + self._resolved(tuple(inputs.shape)))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolved(tuple(input_shape))

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}
