"""Masking: mark the timesteps whose features all equal `mask_value` as padding for the layers after it."""
from nnkit import ops
from nnkit.layers.layer import Layer


class Masking(Layer):
    """Keras 3's Masking: a timestep is kept where any feature differs from `mask_value`; the output is the
    input with the other timesteps zeroed, and its mask is `any(inputs != mask_value, axis=-1)`."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True  # no weights to make (Keras builds it at construction too)

    def call(self, inputs):
        keep = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return ops.where(keep, inputs, 0.0)

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
