"""Float64 NumPy references for convolutions, written as directly as possible (a loop over output positions),
for the op tests (tests/ops/test_convolution.py) and the layer tests (tests/layers/convolutional/).

Layouts are Keras': inputs channels-last (batch, *spatial, channels); conv kernels (*kernel, channels / groups,
filters); transposed-conv kernels (*kernel, filters, channels); depthwise kernels (*kernel, channels, multiplier).
"""
import itertools
import math

import numpy as np


def _as_tuple(value, rank):
    return (value,) * rank if isinstance(value, int) else tuple(value)


def same_padding(size, kernel, stride, dilation):
    """TensorFlow's 'same': output ceil(size / stride); the odd padding pixel goes at the end."""
    extent = (kernel - 1) * dilation + 1
    total = max((math.ceil(size / stride) - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def conv(x, kernel, strides=1, padding="valid", dilation_rate=1, channels_first=False):
    """Cross-correlation, grouped when the kernel has fewer input channels than x."""
    if channels_first:
        x = np.moveaxis(x, 1, -1)
    rank = x.ndim - 2
    strides, dilation = _as_tuple(strides, rank), _as_tuple(dilation_rate, rank)
    kernel_spatial = kernel.shape[:-2]
    pads = []
    for size, k, s, d in zip(x.shape[1:-1], kernel_spatial, strides, dilation):
        if padding == "valid":
            pads.append((0, 0))
        elif padding == "causal":
            pads.append(((k - 1) * d, 0))
        else:
            pads.append(same_padding(size, k, s, d))
    padded = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    out_spatial = [(n - (k - 1) * d - 1) // s + 1
                   for n, k, s, d in zip(padded.shape[1:-1], kernel_spatial, strides, dilation)]
    group_channels, filters = kernel.shape[-2:]
    groups = x.shape[-1] // group_channels
    per_group = filters // groups
    out = np.zeros((x.shape[0], *out_spatial, filters))
    for position in itertools.product(*(range(n) for n in out_spatial)):
        rows = [p * s + np.arange(k) * d for p, s, k, d in zip(position, strides, kernel_spatial, dilation)]
        window = padded[(slice(None),) + np.ix_(*rows) + (slice(None),)]  # (batch, *kernel, channels)
        for g in range(groups):
            patch = window[..., g * group_channels:(g + 1) * group_channels]
            weights = kernel[..., g * per_group:(g + 1) * per_group]
            out[(slice(None),) + position + (slice(g * per_group, (g + 1) * per_group),)] = np.tensordot(
                patch, weights, axes=(list(range(1, rank + 2)), list(range(rank + 1))))
    return np.moveaxis(out, -1, 1) if channels_first else out


def depthwise_conv(x, kernel, strides=1, padding="valid", dilation_rate=1):
    """Channel c convolved with kernel[..., c, m] gives output channel c * multiplier + m."""
    channels, multiplier = kernel.shape[-2:]
    outputs = [conv(x[..., c:c + 1], kernel[..., c:c + 1, m:m + 1], strides, padding, dilation_rate)
               for c in range(channels) for m in range(multiplier)]
    return np.concatenate(outputs, axis=-1)


def conv_transpose(x, kernel, strides=1, padding="valid", output_padding=None, dilation_rate=1):
    """Every input pixel scatters x[pixel] @ kernel[tap]^T to stride * pixel + dilation * tap (the 'full'
    transposed convolution); Keras then keeps a window of it whose size and offset depend on `padding`."""
    rank = x.ndim - 2
    strides, dilation = _as_tuple(strides, rank), _as_tuple(dilation_rate, rank)
    output_padding = None if output_padding is None else _as_tuple(output_padding, rank)
    kernel_spatial = kernel.shape[:-2]
    extents = [(k - 1) * d + 1 for k, d in zip(kernel_spatial, dilation)]
    full_spatial = [(n - 1) * s + e for n, s, e in zip(x.shape[1:-1], strides, extents)]
    full = np.zeros((x.shape[0], *[n + max(s, e) for n, s, e in zip(full_spatial, strides, extents)],
                     kernel.shape[-2]))
    for pixel in itertools.product(*(range(n) for n in x.shape[1:-1])):
        for tap in itertools.product(*(range(k) for k in kernel_spatial)):
            target = tuple(p * s + t * d for p, s, t, d in zip(pixel, strides, tap, dilation))
            full[(slice(None),) + target] += x[(slice(None),) + pixel] @ kernel[tap].T
    window = []
    for axis, (n, s, e) in enumerate(zip(x.shape[1:-1], strides, extents)):
        extra = None if output_padding is None else output_padding[axis]
        if padding == "valid":
            length = (n - 1) * s + e + (max(e, s) - e if extra is None else extra)
            start = 0
        else:
            length = n * s if extra is None else (n - 1) * s + e % 2 + extra
            pad = s + e - 2 if extra is None else e + e % 2 - 2 + extra
            start = e - 1 - min(pad // 2 + pad % 2, e - 1)
        window.append(slice(start, start + length))
    return full[(slice(None),) + tuple(window)]


def built_with_random_weights(layer, input_shape, seed=0):
    """`layer` (made with dtype='float64') built for `input_shape` and holding random normal weights (host
    copies returned, in Keras order), so its output can be checked against the references above."""
    layer.build((None,) + tuple(input_shape[1:]))
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(w.shape) * 0.5 for w in layer.weights]
    layer.set_weights(weights)
    return weights
