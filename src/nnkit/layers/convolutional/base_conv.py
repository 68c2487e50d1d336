"""What every convolution layer shares (kernel geometry, data format, bias, activation), and the N-d
convolution layer behind Conv1D/2D/3D (Keras' BaseConv: kernel (*kernel_size, channels / groups, filters))."""

from nnkit import activations, constraints, initializers, ops, regularizers
from nnkit.layers.input_spec import InputSpec
from nnkit.layers.layer import Layer
from nnkit.layers.positive_integer import positive_integer
from nnkit.layers.spatial_arguments import data_format as checked_data_format
from nnkit.layers.spatial_arguments import int_tuple, layer_label
from nnkit.ops.conv_geometry import conv_output_length


class ConvolutionLayer(Layer):
    """Base of the convolution layers: validates and stores the window geometry, finds the input channels
    when built, adds the bias and applies the activation. Subclasses set `rank`, make their kernels in
    `build_kernels(channels)`, convolve in `convolve(inputs)` and say their `output_channels(channels)`."""

    rank = None
    paddings = ("valid", "same")

    def __init__(self, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, activation=None,
                 use_bias=True, bias_initializer="zeros", bias_regularizer=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = self._positive_tuple(kernel_size, "kernel_size")
        self.strides = self._positive_tuple(strides, "strides")
        self.dilation_rate = self._positive_tuple(dilation_rate, "dilation_rate")
        name = padding.lower() if isinstance(padding, str) else padding
        if name not in self.paddings:
            raise self._error(f"padding must be one of {list(self.paddings)}, received padding={padding!r}")
        self.padding = name
        self.data_format = checked_data_format(data_format, self)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise self._error(f"strides > 1 cannot be combined with dilation_rate > 1, received "
                              f"strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    # --- checks ------------------------------------------------------------------------------------------
    def _error(self, problem):
        return ValueError(f"{layer_label(self)}: {problem}.")

    def _positive_tuple(self, value, argument, allow_zero=False):
        """An int or `rank` ints as a tuple of `rank` ints (positive, or non-negative with allow_zero)."""
        return int_tuple(value, self.rank, argument, self, allow_zero=allow_zero)

    # --- building and calling ------------------------------------------------------------------------------
    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape):
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise self._error(f"the channel axis ({self.data_format}) of the input must be known, received "
                              f"input shape {tuple(input_shape)}")
        self.build_kernels(int(channels))
        self.bias = (self.add_weight((self.output_channels(channels),), self.bias_initializer,
                                     regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias")
                     if self.use_bias else None)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: int(channels)})

    def call(self, inputs):
        outputs = self.convolve(inputs)
        if self.bias is not None:
            bias = self.bias
            if self.data_format == "channels_first":
                bias = ops.reshape(bias, (-1,) + (1,) * self.rank)
            outputs = ops.add(outputs, bias)
        return self.activation(outputs)

    def _geometry(self):
        return {"strides": self.strides, "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate}

    def output_spatial_shape(self, spatial):
        return tuple(conv_output_length(n, k, s, self.padding, d)
                     for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        channels = input_shape[self._channel_axis]
        first = self.data_format == "channels_first"
        spatial = self.output_spatial_shape(input_shape[2:] if first else input_shape[1:-1])
        if any(n is not None and n <= 0 for n in spatial):
            raise self._error(f"the input shape {input_shape} is too small for kernel_size={self.kernel_size} "
                              f"with dilation_rate={self.dilation_rate} and padding={self.padding!r}")
        filters = self.output_channels(channels)
        return (input_shape[0], filters) + spatial if first else (input_shape[0],) + spatial + (filters,)

    def get_config(self):
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class BaseConv(ConvolutionLayer):
    """N-d convolution with `filters` outputs, optionally grouped; Conv1D/2D/3D set `rank`."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.filters = positive_integer(layer_label(self), "filters", filters)
        self.groups = positive_integer(layer_label(self), "groups", groups)
        if self.filters % self.groups:
            raise self._error(f"filters must be divisible by groups, received filters={self.filters} and "
                              f"groups={self.groups}")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def build_kernels(self, channels):
        if channels % self.groups:
            raise self._error(f"the input channels must be divisible by groups, received {channels} channels and "
                              f"groups={self.groups}")
        self.kernel = self.add_weight(self.kernel_size + (channels // self.groups, self.filters),
                                      self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")

    def output_channels(self, channels):
        return self.filters

    def convolve(self, inputs):
        return ops.conv(inputs, self.kernel, **self._geometry())

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "groups": self.groups,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }
