"""DepthwiseConv1D, DepthwiseConv2D: each input channel convolved with its own `depth_multiplier` filters;
kernel (*kernel_size, channels, depth_multiplier), output channel c * depth_multiplier + m, as in Keras."""
from nnkit import constraints, initializers, ops, regularizers
from nnkit.layers.convolutional.base_conv import ConvolutionLayer
from nnkit.layers.positive_integer import positive_integer
from nnkit.layers.spatial_arguments import layer_label


class BaseDepthwiseConv(ConvolutionLayer):
    """N-d depthwise convolution; subclasses set `rank`."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None, dilation_rate=1,
                 activation=None, use_bias=True, depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = positive_integer(layer_label(self), "depth_multiplier", depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def _add_depthwise_kernel(self, channels, name):
        return self.add_weight(self.kernel_size + (channels, self.depth_multiplier), self.depthwise_initializer,
                               regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint,
                               name=name)

    def build_kernels(self, channels):
        self.kernel = self._add_depthwise_kernel(channels, "kernel")

    def output_channels(self, channels):
        return None if channels is None else channels * self.depth_multiplier

    def convolve(self, inputs):
        return ops.depthwise_conv(inputs, self.kernel, **self._geometry())

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
        }


class DepthwiseConv1D(BaseDepthwiseConv):
    """1-D depthwise convolution over (batch, steps, channels)."""

    rank = 1


class DepthwiseConv2D(BaseDepthwiseConv):
    """2-D depthwise convolution over (batch, height, width, channels)."""

    rank = 2
