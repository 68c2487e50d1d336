"""N-d max and average pooling kernels for any NumPy-like namespace `xp` (NumPy now, CuPy later).

Each window position is one strided slice of the (padded) input: the kernels loop over the few offsets
inside a window (pool_size[0] * pool_size[1] * ... of them) and do whole-array work at each, never looping
over pixels, windows or batch items. 'same' padding follows TensorFlow/Keras: output size ceil(n / stride),
the padding split with the extra element after; average pooling divides by the count of real (unpadded)
elements in each window. Max pooling sends each window's gradient to its first maximum in row-major window
order (ties go to one element, as in TensorFlow).
"""
import itertools
import math

from nnkit.ops.conv_geometry import conv_output_length, conv_padding


def spatial_axes(ndim, data_format):
    """The axes pooled over: all but batch and channels."""
    return tuple(range(1, ndim - 1)) if data_format == "channels_last" else tuple(range(2, ndim))


class _Windows:
    """The geometry of one pooling call: padding, output sizes and the strided slice of each window offset."""

    def __init__(self, shape, pool_size, strides, padding, data_format):
        self.ndim = len(shape)
        self.axes = spatial_axes(self.ndim, data_format)
        self.sizes = [shape[a] for a in self.axes]
        # A pooling window is a convolution window without dilation: the same output sizes and padding.
        self.widths = conv_padding(self.sizes, pool_size, strides, padding, [1] * len(self.sizes))
        self.out_sizes = [conv_output_length(n, p, s, padding, 1) for n, p, s in zip(self.sizes, pool_size, strides)]
        self.pool_size = tuple(pool_size)
        self.strides = tuple(strides)
        self.padded = any(before or after for before, after in self.widths)
        self.disjoint = all(stride >= pool for stride, pool in zip(self.strides, self.pool_size))
        # Every (padded) input element lies in exactly one window: no gaps between windows, no rows left over.
        self.tiles = self.disjoint and all(
            stride == pool and count * stride == size + before + after
            for stride, pool, count, size, (before, after)
            in zip(self.strides, self.pool_size, self.out_sizes, self.sizes, self.widths))

    def padded_shape(self, shape):
        """`shape` grown by the padding of each pooled axis."""
        shape = list(shape)
        for axis, (before, after) in zip(self.axes, self.widths):
            shape[axis] += before + after
        return tuple(shape)

    def pad(self, xp, x, value):
        """`x` padded on the pooled axes with `value`."""
        if not self.padded:
            return x
        widths = [(0, 0)] * self.ndim
        for axis, width in zip(self.axes, self.widths):
            widths[axis] = width
        return xp.pad(x, widths, mode="constant", constant_values=value)

    def crop(self, padded):
        """The inverse of `pad`: the region of the original input."""
        if not self.padded:
            return padded
        index = [slice(None)] * self.ndim
        for axis, (before, after) in zip(self.axes, self.widths):
            index[axis] = slice(before, padded.shape[axis] - after)
        return padded[tuple(index)]

    def slices(self):
        """For each offset inside a window, the index picking that element of every window."""
        for offset in itertools.product(*(range(p) for p in self.pool_size)):
            index = [slice(None)] * self.ndim
            for axis, start, stride, count in zip(self.axes, offset, self.strides, self.out_sizes):
                index[axis] = slice(start, start + (count - 1) * stride + 1, stride)
            yield tuple(index)

    def sum(self, xp, padded):
        """The sum over each window of an already padded array."""
        total = None
        for index in self.slices():
            total = padded[index].copy() if total is None else xp.add(total, padded[index], out=total)
        return total

    def counts(self, xp, dtype):
        """The number of real elements in each window: an int without padding, else an array that
        broadcasts against the output."""
        if not self.padded:
            return math.prod(self.pool_size)
        shape = [1] * self.ndim
        for axis, size in zip(self.axes, self.sizes):
            shape[axis] = size
        return self.sum(xp, self.pad(xp, xp.ones(shape, dtype=dtype), 0))


def _lowest(xp, dtype):
    """The padding value that never wins a maximum."""
    return -xp.inf if xp.dtype(dtype).kind == "f" else xp.iinfo(dtype).min


def max_pool(xp, x, pool_size, strides, padding, data_format):
    """The maximum of each window."""
    windows = _Windows(x.shape, pool_size, strides, padding, data_format)
    padded = windows.pad(xp, x, _lowest(xp, x.dtype))
    first, *rest = windows.slices()
    if not rest:
        return padded[first].copy()
    out = xp.maximum(padded[first], padded[rest[0]])
    for index in rest[1:]:
        xp.maximum(out, padded[index], out=out)
    return out


def max_pool_backward(xp, x, out, g, pool_size, strides, padding, data_format):
    """The gradient of `max_pool` with respect to `x`: each window's `g` goes to its first maximum."""
    windows = _Windows(x.shape, pool_size, strides, padding, data_format)
    padded = windows.pad(xp, x, _lowest(xp, x.dtype))
    # Where windows tile the input, every element is written below: no need to zero it first.
    grad = (xp.empty if windows.tiles else xp.zeros)(padded.shape, dtype=g.dtype)
    pending = xp.ones(out.shape, dtype=bool)  # windows whose maximum has not been found yet
    hit = xp.empty(out.shape, dtype=bool)
    share = None if windows.disjoint else xp.empty(out.shape, dtype=g.dtype)
    offsets = list(windows.slices())
    for number, index in enumerate(offsets, start=1):
        xp.equal(padded[index], out, out=hit)
        hit &= pending
        if number < len(offsets):
            pending ^= hit  # hit is within pending: the windows still pending are those not hit now
        if windows.disjoint:
            xp.multiply(hit, g, out=grad[index])  # each input element lies in one window: write in place
        else:
            xp.multiply(hit, g, out=share)
            grad[index] += share
    return windows.crop(grad)


def average_pool(xp, x, pool_size, strides, padding, data_format):
    """The mean of the real elements of each window."""
    windows = _Windows(x.shape, pool_size, strides, padding, data_format)
    total = windows.sum(xp, windows.pad(xp, x, 0))
    counts = windows.counts(xp, x.dtype)
    if isinstance(counts, int):
        total *= 1.0 / counts
        return total
    return xp.divide(total, counts, out=total)


def average_pool_backward(xp, g, input_shape, pool_size, strides, padding, data_format):
    """The gradient of `average_pool` with respect to an input of `input_shape`."""
    windows = _Windows(tuple(input_shape), pool_size, strides, padding, data_format)
    share = g / windows.counts(xp, g.dtype)
    grad = xp.zeros(windows.padded_shape(input_shape), dtype=g.dtype)
    for index in windows.slices():
        if windows.disjoint:
            grad[index] = share
        else:
            grad[index] += share
    return windows.crop(grad)
