"""AlphaDropout: dropout for SELU networks, keeping the mean and variance of its inputs."""
from nnkit import ops
from nnkit.backends import active
from nnkit.layers.layer import Layer
from nnkit.layers.random_keys import layer_key

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(Layer):
    """When training, sets each value (or each `noise_shape` slice) with probability `rate` to SELU's
    negative saturation value, then applies the affine map that restores zero mean and unit variance
    (Keras' a, b); the identity otherwise."""

    uses_randomness = True
    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"AlphaDropout '{self.name}': rate must be in [0, 1], received rate={rate!r}.")
        self.rate = rate
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        shape = tuple(inputs.shape) if self.noise_shape is None else tuple(
            inputs.shape[i] if d is None else d for i, d in enumerate(self.noise_shape))
        saturated = -_SELU_ALPHA * _SELU_SCALE
        kept = active.backend.uniform(layer_key(self.seed), shape, inputs.dtype) >= self.rate
        a = ((1 - self.rate) * (1 + self.rate * saturated ** 2)) ** -0.5
        b = -a * saturated * self.rate
        return ops.add(ops.multiply(ops.where(kept, inputs, saturated), a), b)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}
