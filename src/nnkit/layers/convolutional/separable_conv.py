"""SeparableConv1D, SeparableConv2D: a depthwise convolution, then a pointwise (1x1) one mixing the channels.
Weights in Keras' order: depthwise_kernel (*kernel_size, channels, depth_multiplier), pointwise_kernel
(1, ..., channels * depth_multiplier, filters), bias (filters,)."""
from nnkit import constraints, initializers, ops, regularizers
from nnkit.layers.convolutional.depthwise_conv import BaseDepthwiseConv
from nnkit.layers.positive_integer import positive_integer
from nnkit.layers.spatial_arguments import layer_label


class BaseSeparableConv(BaseDepthwiseConv):
    """N-d depthwise-separable convolution with `filters` outputs; subclasses set `rank`."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)
        self.filters = positive_integer(layer_label(self), "filters", filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build_kernels(self, channels):
        self.depthwise_kernel = self._add_depthwise_kernel(channels, "depthwise_kernel")
        self.pointwise_kernel = self.add_weight((1,) * self.rank + (channels * self.depth_multiplier, self.filters),
                                                self.pointwise_initializer, regularizer=self.pointwise_regularizer,
                                                constraint=self.pointwise_constraint, name="pointwise_kernel")

    def output_channels(self, channels):
        return self.filters

    def convolve(self, inputs):
        return ops.separable_conv(inputs, self.depthwise_kernel, self.pointwise_kernel, **self._geometry())

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        }


class SeparableConv1D(BaseSeparableConv):
    """1-D depthwise-separable convolution over (batch, steps, channels)."""

    rank = 1


class SeparableConv2D(BaseSeparableConv):
    """2-D depthwise-separable convolution over (batch, height, width, channels)."""

    rank = 2


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
