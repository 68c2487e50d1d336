"""Conv1DTranspose, Conv2DTranspose, Conv3DTranspose: the gradient of a convolution as a layer (upsampling),
kernel (*kernel_size, filters, channels) and output sizes as in Keras; `output_padding` adds output pixels."""
from nnkit import constraints, initializers, ops, regularizers
from nnkit.layers.convolutional.base_conv import ConvolutionLayer
from nnkit.layers.positive_integer import positive_integer
from nnkit.layers.spatial_arguments import layer_label
from nnkit.ops.conv_geometry import conv_transpose_output_length


class BaseConvTranspose(ConvolutionLayer):
    """N-d transposed convolution with `filters` outputs; subclasses set `rank`."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.filters = positive_integer(layer_label(self), "filters", filters)
        self.output_padding = (None if output_padding is None
                               else self._positive_tuple(output_padding, "output_padding", allow_zero=True))
        if self.output_padding is not None and any(p >= s for p, s in zip(self.output_padding, self.strides)):
            raise self._error(f"output_padding must be smaller than strides on every axis, received "
                              f"output_padding={self.output_padding} and strides={self.strides}")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def build_kernels(self, channels):
        self.kernel = self.add_weight(self.kernel_size + (self.filters, channels), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name="kernel")

    def output_channels(self, channels):
        return self.filters

    def output_spatial_shape(self, spatial):
        padding = self.output_padding or (None,) * self.rank
        return tuple(conv_transpose_output_length(n, k, s, self.padding, p, d)
                     for n, k, s, p, d in zip(spatial, self.kernel_size, self.strides, padding, self.dilation_rate))

    def convolve(self, inputs):
        return ops.conv_transpose(inputs, self.kernel, output_padding=self.output_padding, **self._geometry())

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "output_padding": self.output_padding,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }


class Conv1DTranspose(BaseConvTranspose):
    """1-D transposed convolution over (batch, steps, channels)."""

    rank = 1


class Conv2DTranspose(BaseConvTranspose):
    """2-D transposed convolution over (batch, height, width, channels)."""

    rank = 2


class Conv3DTranspose(BaseConvTranspose):
    """3-D transposed convolution over (batch, depth, height, width, channels)."""

    rank = 3


Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
