"""The N-d global pooling layer that GlobalMaxPooling1D/2D/3D and GlobalAveragePooling1D/2D/3D specialise."""
from nnkit import ops
from nnkit.layers import spatial_arguments as arguments
from nnkit.layers.input_spec import InputSpec
from nnkit.layers.layer import Layer


class BaseGlobalPooling(Layer):
    """Reduces all spatial axes with the max or the mean: (batch, *spatial, channels) -> (batch, channels),
    or with keepdims=True, spatial axes of length 1. Subclasses set `rank` and `pool_mode`."""

    rank = None
    pool_mode = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = arguments.data_format(data_format, self)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self.rank + 2)

    @property
    def _axes(self):
        return arguments.spatial_axes(self.rank, self.data_format)

    def call(self, inputs):
        reduce = ops.max if self.pool_mode == "max" else ops.mean
        return reduce(inputs, axis=self._axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        axes = self._axes
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}
