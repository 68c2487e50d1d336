"""Convolution primitives (N-d, strided, dilated, grouped, and transposed); kernels come from the backend.

Keras 3's `ops.conv`, `conv_transpose`, `depthwise_conv` and `separable_conv`, with Keras' kernel layouts.
Two primitives do the work, both channels-last with explicit padding pairs: `_conv` and `_conv_transpose`.
Their VJPs are each other plus the kernel gradient, all three kernels of the active backend; JAX
differentiates its XLA convolution itself. channels_first inputs are transposed around them.
"""
from nnkit.backends import active
from nnkit.ops.conv_geometry import PADDINGS, conv_output_length, conv_padding, conv_transpose_padding
from nnkit.ops.conv_geometry import conv_transpose_output_length
from nnkit.ops.primitive import primitive
from nnkit.ops.shape import reshape, transpose
from nnkit.ops.spatial_arguments import data_format_name, padding_name, per_axis

__all__ = ["conv", "conv_transpose", "depthwise_conv", "separable_conv"]


@primitive
def _conv(xp, x, kernel, strides, padding, dilation, groups):
    return active.backend.conv(x, kernel, strides, padding, dilation, groups)


_conv.defvjp(
    lambda xp, g, out, x, kernel, **geometry: active.backend.conv_input_grad(g, kernel, x.shape, **geometry),
    lambda xp, g, out, x, kernel, **geometry: active.backend.conv_kernel_grad(x, g, kernel.shape, **geometry),
)


@primitive
def _conv_transpose(xp, x, kernel, output_shape, strides, padding, dilation, groups):
    return active.backend.conv_input_grad(x, kernel, output_shape, strides, padding, dilation, groups)


_conv_transpose.defvjp(
    lambda xp, g, out, x, kernel, output_shape, **geometry: active.backend.conv(g, kernel, **geometry),
    lambda xp, g, out, x, kernel, output_shape, **geometry: active.backend.conv_kernel_grad(
        g, x, kernel.shape, **geometry),
)


class _ChannelsLast:
    """Runs a channels-last computation on channels_first inputs by transposing in and out; data_format None
    is the configured `image_data_format()`, as in Keras."""

    def __init__(self, data_format, rank, owner):
        self.first = data_format_name(data_format, owner) == "channels_first"
        self.rank = rank

    def enter(self, x):
        return transpose(x, (0,) + tuple(range(2, self.rank + 2)) + (1,)) if self.first else x

    def leave(self, y):
        return transpose(y, (0, self.rank + 1) + tuple(range(1, self.rank + 1))) if self.first else y


def _check_spatial(op, spatial, kernel_spatial, strides, padding, dilation):
    lengths = [conv_output_length(n, k, s, padding, d)
               for n, k, s, d in zip(spatial, kernel_spatial, strides, dilation)]
    if any(length <= 0 for length in lengths):
        raise ValueError(f"{op}: the input's spatial shape {tuple(spatial)} is smaller than the kernel "
                         f"{tuple(kernel_spatial)} (dilation {tuple(dilation)}) with padding={padding!r}.")


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-d cross-correlation; kernel (*kernel_size, in_channels / groups, filters), groups from the shapes."""
    rank = len(kernel.shape) - 2
    layout = _ChannelsLast(data_format, rank, "conv")
    x = layout.enter(inputs)
    strides = per_axis(strides, rank, "strides", "conv")
    dilation = per_axis(dilation_rate, rank, "dilation_rate", "conv")
    padding = padding_name(padding, PADDINGS, "conv")
    if len(x.shape) != rank + 2:
        raise ValueError(f"conv: a kernel of shape {tuple(kernel.shape)} needs inputs of rank {rank + 2}, "
                         f"received shape {tuple(inputs.shape)}.")
    channels, group_channels = x.shape[-1], kernel.shape[-2]
    if channels % group_channels or kernel.shape[-1] % (channels // group_channels):
        raise ValueError(f"conv: the input has {channels} channels, which does not split into groups of the "
                         f"kernel's {group_channels} input channels (kernel shape {tuple(kernel.shape)}) "
                         "with the filters divisible by the number of groups.")
    spatial, kernel_spatial = tuple(x.shape[1:-1]), tuple(kernel.shape[:-2])
    _check_spatial("conv", spatial, kernel_spatial, strides, padding, dilation)
    pairs = tuple(conv_padding(spatial, kernel_spatial, strides, padding, dilation))
    y = _conv(x, kernel, strides=strides, padding=pairs, dilation=dilation, groups=channels // group_channels)
    return layout.leave(y)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """N-d transposed convolution; kernel (*kernel_size, filters, in_channels) as in Keras."""
    rank = len(kernel.shape) - 2
    layout = _ChannelsLast(data_format, rank, "conv_transpose")
    x = layout.enter(inputs)
    strides = per_axis(strides, rank, "strides", "conv_transpose")
    dilation = per_axis(dilation_rate, rank, "dilation_rate", "conv_transpose")
    padding = padding_name(padding, owner="conv_transpose")
    if output_padding is not None:
        output_padding = (output_padding,) * rank if isinstance(output_padding, int) else tuple(output_padding)
    if len(x.shape) != rank + 2 or x.shape[-1] != kernel.shape[-1]:
        raise ValueError(f"conv_transpose: a kernel of shape {tuple(kernel.shape)} needs inputs of rank {rank + 2} "
                         f"with {kernel.shape[-1]} channels, received shape {tuple(inputs.shape)}.")
    kernel_spatial = tuple(kernel.shape[:-2])
    out_spatial = tuple(
        conv_transpose_output_length(n, k, s, padding, None if output_padding is None else p, d)
        for n, k, s, d, p in zip(x.shape[1:-1], kernel_spatial, strides, dilation, output_padding or (0,) * rank))
    pairs = tuple(conv_transpose_padding(kernel_spatial, strides, padding, output_padding, dilation))
    output_shape = (x.shape[0],) + out_spatial + (kernel.shape[-2],)
    y = _conv_transpose(x, kernel, output_shape=output_shape, strides=strides, padding=pairs, dilation=dilation,
                        groups=1)
    return layout.leave(y)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Each input channel convolved with its own `multiplier` filters; kernel (*kernel_size, channels, multiplier),
    output channel c * multiplier + m (Keras' order)."""
    *kernel_spatial, channels, multiplier = kernel.shape
    grouped = reshape(kernel, tuple(kernel_spatial) + (1, channels * multiplier))
    return conv(inputs, grouped, strides, padding, data_format, dilation_rate)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution, as Keras' separable layers."""
    depthwise = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(depthwise, pointwise_kernel, 1, "valid", data_format, 1)
