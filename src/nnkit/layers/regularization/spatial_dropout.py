"""SpatialDropout1D/2D/3D: dropout of whole feature maps (channels), for inputs whose neighbouring steps or
pixels are strongly correlated."""
from nnkit import ops
from nnkit.layers import spatial_arguments as arguments
from nnkit.layers.dropout import Dropout
from nnkit.layers.input_spec import InputSpec
from nnkit.layers.random_keys import layer_key


class BaseSpatialDropout(Dropout):
    """When training, zeroes each channel of each sample with probability `rate` across all its spatial
    positions, and scales the rest by 1 / (1 - rate); the identity otherwise. Subclasses set `rank`."""

    rank = None
    supports_masking = True

    def __init__(self, rate, seed=None, data_format=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = arguments.data_format(data_format, self)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        shape = list(inputs.shape)
        for axis in arguments.spatial_axes(self.rank, self.data_format):
            shape[axis] = 1
        return ops.dropout(inputs, self.rate, layer_key(self.seed), tuple(shape))

    def get_config(self):
        """Keras' keys: its SpatialDropout layers take neither `noise_shape` nor `trainable`."""
        config = super().get_config()
        del config["noise_shape"], config["trainable"]
        return {**config, "data_format": self.data_format}


class SpatialDropout1D(BaseSpatialDropout):
    """Drops whole features of (batch, steps, features) inputs."""

    rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return config


class SpatialDropout2D(BaseSpatialDropout):
    """Drops whole channels of (batch, rows, cols, channels) inputs (or channels-first ones)."""

    rank = 2

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, data_format=data_format, **kwargs)


class SpatialDropout3D(BaseSpatialDropout):
    """Drops whole channels of (batch, d1, d2, d3, channels) inputs (or channels-first ones)."""

    rank = 3

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, data_format=data_format, **kwargs)
