"""GaussianNoise: additive zero-centred Gaussian noise when training (a regularizer, e.g. on inputs)."""
from nnkit import ops
from nnkit.backends import active
from nnkit.layers.layer import Layer
from nnkit.layers.random_keys import layer_key


class GaussianNoise(Layer):
    """inputs + N(0, stddev^2) noise when training; the identity otherwise."""

    uses_randomness = True
    supports_masking = True

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= stddev <= 1:
            raise ValueError(f"GaussianNoise '{self.name}': stddev must be in [0, 1], received stddev={stddev!r}.")
        self.stddev = stddev
        self.seed = seed

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        noise = active.backend.normal(layer_key(self.seed), tuple(inputs.shape), inputs.dtype)
        return ops.add(inputs, ops.multiply(noise, self.stddev))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
