"""N-d convolution kernels for NumPy-compatible array libraries (NumPy now, CuPy unchanged later).

Arrays are channels-last: inputs (batch, *spatial, channels), kernels (*kernel, channels / groups, filters),
as in Keras. `padding` is one explicit (before, after) pair per spatial axis; a negative amount crops.
The forward gathers every window through one strided view (im2col) and multiplies it with the kernel in
BLAS calls (batched ones per group); the kernel gradient is the same product transposed, and the input
gradient is the convolution of g with the flipped kernel (unit strides, one group) or else adds
g @ kernel[offset]^T back into the input, one strided add per kernel offset.
The im2col matrix is built and multiplied a block of batch items at a time, in a buffer the caller's
`Workspace` keeps between calls: a block small enough to stay in the CPU's caches is written and read back
there instead of in main memory (a whole batch's matrix is often over 100 MB, and fresh memory of that size
would be new pages to fault in on every call).
"""
import itertools
import math
import threading

from nnkit.ops.conv_geometry import conv_output_length


class Workspace:
    """Scratch memory reused across calls, one growing flat buffer per use, dtype and thread (so threads never
    share one), and the size of the im2col blocks that kernels split a batch into. Only for temporaries that no
    returned array keeps a view of."""

    def __init__(self, xp, block_bytes=6 * 2**20):
        self.xp = xp
        self.block_bytes = block_bytes  # a few MB: in the caches, and few enough BLAS calls (each one syncs threads)
        self._local = threading.local()

    def take(self, shape, dtype, use="columns"):
        buffers = self._local.__dict__.setdefault("buffers", {})
        key = (use, self.xp.dtype(dtype))
        size = math.prod(shape)
        buffer = buffers.get(key)
        if buffer is None or buffer.size < size:
            buffer = buffers[key] = self.xp.empty(size, dtype=key[1])
        return buffer[:size].reshape(shape)

    def blocks(self, batch, item_bytes):
        """(start, stop) ranges covering `batch` items, each holding about `block_bytes` of `item_bytes` items."""
        step = max(1, min(batch, self.block_bytes // max(item_bytes, 1)))
        return [(start, min(start + step, batch)) for start in range(0, batch, step)]


def output_spatial_shape(spatial, kernel_spatial, strides, padding, dilation):
    """Spatial output shape of a convolution with explicit padding pairs."""
    return tuple(conv_output_length(size + lo + hi, k, s, "valid", d)
                 for size, k, s, (lo, hi), d in zip(spatial, kernel_spatial, strides, padding, dilation))


def _pad_or_crop(xp, x, padding):
    """`x` padded with zeros (positive amounts) or cropped (negative ones) on its spatial axes."""
    widths = [(0, 0)] + [(max(lo, 0), max(hi, 0)) for lo, hi in padding] + [(0, 0)]
    if any(w != (0, 0) for w in widths):
        x = xp.pad(x, widths)
    crops = [slice(None)] + [slice(max(-lo, 0), x.shape[i + 1] - max(-hi, 0)) for i, (lo, hi) in enumerate(padding)]
    if any(lo < 0 or hi < 0 for lo, hi in padding):
        x = x[tuple(crops)]
    return x


def _windows(xp, padded, kernel_spatial, out_spatial, strides, dilation):
    """A strided view (batch, *out_spatial, *kernel_spatial, channels) of every window of `padded`."""
    batch_stride, *spatial_strides, channel_stride = padded.strides
    shape = (padded.shape[0],) + tuple(out_spatial) + tuple(kernel_spatial) + (padded.shape[-1],)
    view_strides = ((batch_stride,) + tuple(st * s for st, s in zip(spatial_strides, strides))
                    + tuple(st * d for st, d in zip(spatial_strides, dilation)) + (channel_stride,))
    return xp.lib.stride_tricks.as_strided(padded, shape, view_strides)


class _Columns:
    """The im2col matrices of one convolution's input, a block of batch items at a time. The zero-padded block
    and its strided view of every window are laid out once per call in `workspace` memory (only the border is
    zeroed, once); each block then costs one copy into the padded interior and one into the matrix."""

    def __init__(self, xp, x, kernel_spatial, strides, padding, dilation, groups, workspace):
        self.xp, self.groups = xp, groups
        self.x = _pad_or_crop(xp, x, [(min(lo, 0), min(hi, 0)) for lo, hi in padding])  # negative amounts crop
        widths = [(max(lo, 0), max(hi, 0)) for lo, hi in padding]
        self.out_spatial = output_spatial_shape(x.shape[1:-1], kernel_spatial, strides, padding, dilation)
        channels, taps = x.shape[-1], math.prod(kernel_spatial)
        self.positions = math.prod(self.out_spatial)
        item_bytes = self.positions * taps * channels * x.dtype.itemsize
        self.blocks = workspace.blocks(x.shape[0], item_bytes)
        largest = max((stop - start for start, stop in self.blocks), default=0)
        if any(lo or hi for lo, hi in widths):
            spatial = tuple(n + lo + hi for n, (lo, hi) in zip(self.x.shape[1:-1], widths))
            self.padded = workspace.take((largest,) + spatial + (channels,), x.dtype, use="padded")
            for axis, (lo, hi) in enumerate(widths, start=1):
                for border in (slice(0, lo), slice(spatial[axis - 1] - hi, spatial[axis - 1])):
                    self.padded[(slice(None),) * axis + (border,)] = 0
            self.interior = (slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(self.x.shape[1:-1], widths))
            self.windows = _windows(xp, self.padded, kernel_spatial, self.out_spatial, strides, dilation)
        else:
            self.padded = None
            self.windows = _windows(xp, self.x, kernel_spatial, self.out_spatial, strides, dilation)
        group_channels = channels // groups
        self.matrix = workspace.take((groups, largest) + self.windows.shape[1:-1] + (group_channels,), x.dtype)
        self.width = taps * group_channels

    def __call__(self, start, stop):
        """Items start:stop as (positions, taps * channels), or (groups, positions, taps * group channels)."""
        count = stop - start
        if self.padded is None:
            windows = self.windows[start:stop]
        else:
            self.padded[:count][self.interior] = self.x[start:stop]
            windows = self.windows[:count]
        matrix = self.matrix[:, :count]
        if self.groups == 1:
            self.xp.copyto(matrix[0], windows)
            return matrix[0].reshape(count * self.positions, self.width)
        windows = windows.reshape(windows.shape[:-1] + (self.groups, -1))
        self.xp.copyto(matrix, self.xp.moveaxis(windows, -2, 0))
        return matrix.reshape(self.groups, count * self.positions, self.width)


def _grouped_kernel(kernel, groups):
    """Kernel (*k, cg, filters) as a matrix (taps * cg, filters), or (groups, taps * cg, filters / groups)."""
    *_, group_channels, filters = kernel.shape
    taps = math.prod(kernel.shape[:-2])
    if groups == 1:
        return kernel.reshape(taps * group_channels, filters)
    per_group = filters // groups
    return kernel.reshape(taps, group_channels, groups, per_group).transpose(2, 0, 1, 3).reshape(
        groups, taps * group_channels, per_group)


def _grouped_outputs(g, groups):
    """Output-shaped (batch, *spatial, filters) `g` as (positions, filters) or (groups, positions, filters / groups)."""
    filters = g.shape[-1]
    flat = g.reshape(-1, filters)
    if groups == 1:
        return flat
    return flat.reshape(flat.shape[0], groups, filters // groups).transpose(1, 0, 2)


def conv(xp, x, kernel, strides, padding, dilation, groups, workspace):
    """Cross-correlation of `x` with `kernel` (Keras layout): per block of batch items, one matmul over its im2col
    matrix, written into the output in place."""
    columns = _Columns(xp, x, kernel.shape[:-2], strides, padding, dilation, groups, workspace)
    out_shape = (x.shape[0],) + columns.out_spatial + kernel.shape[-1:]
    out = xp.empty(out_shape, dtype=xp.result_type(x.dtype, kernel.dtype))
    matrices = _grouped_kernel(kernel, groups)
    for start, stop in columns.blocks:
        xp.matmul(columns(start, stop), matrices, out=_grouped_outputs(out[start:stop], groups))
    return out


def conv_kernel_grad(xp, x, g, kernel_shape, strides, padding, dilation, groups, workspace):
    """Gradient of sum(conv(x, kernel) * g) with respect to the kernel: columns^T @ g, summed over blocks of
    batch items."""
    *kernel_spatial, group_channels, filters = kernel_shape
    taps = math.prod(kernel_spatial)
    shape = (taps * group_channels, filters) if groups == 1 else (groups, taps * group_channels, filters // groups)
    grad = xp.zeros(shape, dtype=xp.result_type(x.dtype, g.dtype))
    part = xp.empty_like(grad)
    columns = _Columns(xp, x, kernel_spatial, strides, padding, dilation, groups, workspace)
    for start, stop in columns.blocks:
        grad += xp.matmul(columns(start, stop).swapaxes(-1, -2), _grouped_outputs(g[start:stop], groups), out=part)
    if groups == 1:
        return grad.reshape(kernel_shape)
    return grad.reshape(groups, taps, group_channels, filters // groups).transpose(1, 2, 0, 3).reshape(kernel_shape)


def conv_input_grad(xp, g, kernel, input_shape, strides, padding, dilation, groups, workspace):
    """Gradient of sum(conv(x, kernel) * g) with respect to x of `input_shape` (also the transposed convolution
    of g). With unit strides and one group it is the convolution of g, padded by the kernel's dilated extent, with
    the spatially flipped kernel whose channel axes are swapped: one im2col matmul as in the forward. Otherwise,
    per kernel offset, g @ kernel[offset]^T is added to the window of the padded input it came from."""
    kernel_spatial = kernel.shape[:-2]
    if groups == 1 and all(s == 1 for s in strides):
        flipped = kernel[tuple(slice(None, None, -1) for _ in kernel_spatial)].swapaxes(-1, -2)
        full = [((k - 1) * d - lo, (k - 1) * d - hi) for k, d, (lo, hi) in zip(kernel_spatial, dilation, padding)]
        return conv(xp, g, xp.ascontiguousarray(flipped), strides, full, dilation, 1, workspace)
    out_spatial = tuple(g.shape[1:-1])
    batch, channels = input_shape[0], input_shape[-1]
    matrices = _grouped_kernel(kernel, groups)  # (taps * cg, filters) or (groups, taps * cg, filters / groups)
    outputs = _grouped_outputs(g, groups)
    group_channels = channels // groups
    padded_spatial = tuple(size + lo + hi for size, (lo, hi) in zip(input_shape[1:-1], padding))
    padded = xp.zeros((batch,) + padded_spatial + (channels,), dtype=g.dtype)
    product = workspace.take(outputs.shape[:-1] + (group_channels,), g.dtype)
    for tap, offset in enumerate(itertools.product(*(range(k) for k in kernel_spatial))):
        rows = matrices[..., tap * group_channels:(tap + 1) * group_channels, :]
        xp.matmul(outputs, rows.swapaxes(-1, -2), out=product)
        contribution = product if groups == 1 else product.transpose(1, 0, 2)
        target = tuple(slice(o * d, o * d + (n - 1) * s + 1, s)
                       for o, d, n, s in zip(offset, dilation, out_spatial, strides))
        padded[(slice(None),) + target] += contribution.reshape((batch,) + out_spatial + (channels,))
    return _pad_or_crop(xp, padded, [(-lo, -hi) for lo, hi in padding])
