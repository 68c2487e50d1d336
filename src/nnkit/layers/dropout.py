"""Dropout: zeroes a fraction of the inputs during training and rescales the rest."""
from nnkit import ops
from nnkit.layers.layer import Layer
from nnkit.layers.random_keys import layer_key


class Dropout(Layer):
    """Drops each input unit with probability `rate` when training; the identity otherwise.

    Masks come from the model step's key (fixed by nnkit.utils.set_random_seed); an integer `seed` is folded
    into that key, so layers given different seeds draw different masks even at the same step."""

    uses_randomness = True
    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout '{self.name}': rate must be in [0, 1), received {rate!r}.")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        noise_shape = None
        if self.noise_shape is not None:
            noise_shape = tuple(inputs.shape[i] if d is None else d for i, d in enumerate(self.noise_shape))
        return ops.dropout(inputs, self.rate, layer_key(self.seed), noise_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}
