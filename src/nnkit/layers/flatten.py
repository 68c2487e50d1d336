"""Flatten: collapses every axis but the batch axis into one."""
import math

from nnkit import ops
from nnkit.layers.input_spec import InputSpec
from nnkit.layers.layer import Layer


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...); data_format is accepted for Keras compatibility."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"Flatten '{self.name}': only data_format='channels_last' is supported, "
                             f"received {data_format!r}.")
        self.data_format = data_format
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if any(d is None for d in rest) else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
