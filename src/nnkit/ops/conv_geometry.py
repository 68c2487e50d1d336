"""Convolution geometry on the host: Keras' padding modes as explicit (before, after) pairs, and output sizes.

"same" splits the padding as TensorFlow does (the odd pixel goes at the end); "causal" pads only before.
A transposed convolution is described by the ordinary convolution it transposes: the one that maps its
output back to its input, whose padding may be negative (a crop) where `output_padding` adds pixels.
"""
PADDINGS = ("valid", "same", "causal")


def effective_size(kernel, dilation):
    """The extent a dilated kernel covers."""
    return (kernel - 1) * dilation + 1


def conv_output_length(size, kernel, stride, padding, dilation):
    """Output length of a convolution along one axis (None for an unknown input length)."""
    if size is None:
        return None
    if padding in ("same", "causal"):
        return -(-size // stride) if padding == "same" else (size - 1) // stride + 1
    return (size - effective_size(kernel, dilation)) // stride + 1


def conv_padding(spatial, kernel_spatial, strides, padding, dilation):
    """The (before, after) pairs that make `padding` ('valid', 'same', 'causal') explicit."""
    pairs = []
    for size, kernel, stride, rate in zip(spatial, kernel_spatial, strides, dilation):
        extent = effective_size(kernel, rate)
        if padding == "valid":
            pairs.append((0, 0))
        elif padding == "causal":
            pairs.append((extent - 1, 0))
        else:
            total = max((-(-size // stride) - 1) * stride + extent - size, 0)
            pairs.append((total // 2, total - total // 2))
    return pairs


def conv_transpose_output_length(size, kernel, stride, padding, output_padding, dilation):
    """Output length of a transposed convolution along one axis, as Keras computes it."""
    if size is None:
        return None
    extent = effective_size(kernel, dilation)
    if padding == "valid":
        extra = max(extent, stride) - extent if output_padding is None else output_padding
        return (size - 1) * stride + extent + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + extent % 2 + output_padding


def conv_transpose_padding(kernel_spatial, strides, padding, output_padding, dilation):
    """Padding pairs of the convolution that a Keras transposed convolution transposes."""
    pairs = []
    for axis, (kernel, stride, rate) in enumerate(zip(kernel_spatial, strides, dilation)):
        extent = effective_size(kernel, rate)
        extra = None if output_padding is None else output_padding[axis]
        if padding == "valid":
            extra = max(extent, stride) - extent if extra is None else extra
            before, after = extent - 1, extent - 1 + extra
        else:
            total = stride + extent - 2 if extra is None else extent + extent % 2 - 2 + extra
            before = min(total // 2 + total % 2, extent - 1)
            after = total - before
        pairs.append((extent - 1 - before, extent - 1 - after))
    return pairs
