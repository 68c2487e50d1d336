"""GaussianDropout: multiplicative 1-centred Gaussian noise when training."""
import math

from nnkit import ops
from nnkit.backends import active
from nnkit.layers.layer import Layer
from nnkit.layers.random_keys import layer_key


class GaussianDropout(Layer):
    """inputs * N(1, rate / (1 - rate)) noise when training (the variance of dropout at `rate`, without
    zeroing); the identity otherwise."""

    uses_randomness = True
    supports_masking = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"GaussianDropout '{self.name}': rate must be in [0, 1], received rate={rate!r}.")
        self.rate = rate
        self.seed = seed

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = active.backend.normal(layer_key(self.seed), tuple(inputs.shape), inputs.dtype)
        return ops.multiply(inputs, ops.add(ops.multiply(noise, stddev), 1.0))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
