"""UnitNormalization: scale each sample to unit L2 norm over `axis`."""
from nnkit import ops
from nnkit.layers.layer import Layer
from nnkit.layers.normalization.base import axis_argument, checked_axes

# Keras' floor under the norm (as x * min(1 / norm, 1e12)): an all-zero sample stays zero.
_SMALLEST_SQUARED_NORM = 1e-24


class UnitNormalization(Layer):
    """Keras 3's UnitNormalization: x / ||x||_2 over `axis` (an int or a list of ints); no weights."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis_argument(f"UnitNormalization '{self.name}'", axis)
        self.supports_masking = True
        self.built = True  # no weights to make (Keras builds it at construction too)

    def call(self, inputs):
        axes = tuple(checked_axes(f"UnitNormalization '{self.name}'", self.axis, inputs.shape))
        squared_norm = ops.sum(ops.square(inputs), axis=axes, keepdims=True)
        return ops.multiply(inputs, ops.reciprocal(ops.sqrt(ops.maximum(squared_norm, _SMALLEST_SQUARED_NORM))))

    def compute_output_shape(self, input_shape):
        checked_axes(f"UnitNormalization '{self.name}'", self.axis, input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
