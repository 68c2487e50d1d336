"""Activation: applies an activation function as a layer of its own."""
from nnkit import activations
from nnkit.layers.layer import Layer


class Activation(Layer):
    """Applies `activation` (a name or a function) elementwise."""

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
