"""The N-d pooling layer that MaxPooling1D/2D/3D and AveragePooling1D/2D/3D specialise."""
from nnkit import ops
from nnkit.layers import spatial_arguments as arguments
from nnkit.layers.input_spec import InputSpec
from nnkit.layers.layer import Layer


class BasePooling(Layer):
    """Reduces each window of `pool_size` (moved by `strides`, default pool_size) over the spatial axes with
    the max or the mean. Subclasses set `rank` (spatial axes) and `pool_mode` ('max' or 'average')."""

    rank = None
    pool_mode = None

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = arguments.int_tuple(pool_size, self.rank, "pool_size", self)
        self.strides = arguments.int_tuple(pool_size if strides is None else strides, self.rank, "strides", self)
        self.padding = arguments.padding_mode(padding, self)
        self.data_format = arguments.data_format(data_format, self)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        self.compute_output_shape(tuple(inputs.shape))  # a window larger than the input is a clear error
        pool = ops.max_pool if self.pool_mode == "max" else ops.average_pool
        return pool(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, pool, stride in zip(arguments.spatial_axes(self.rank, self.data_format), self.pool_size,
                                      self.strides):
            size = shape[axis]
            if size is None:
                continue
            if self.padding == "same":
                shape[axis] = -(-size // stride)
            elif size < pool:
                raise ValueError(
                    f"{arguments.layer_label(self)}: pool_size {self.pool_size} with padding='valid' needs "
                    f"spatial axes at least that large, received input with shape {tuple(input_shape)}.")
            else:
                shape[axis] = (size - pool) // stride + 1
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}
