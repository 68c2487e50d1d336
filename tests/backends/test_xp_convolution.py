"""The NumPy convolution kernels computed a block of batch items at a time: any block size gives the float64
loop reference's answer (tests/conv_reference.py), and gradients that are the adjoints of the forward."""
import numpy as np
import pytest

import conv_reference as ref
from nnkit.backends import xp_convolution as kernels

RNG = np.random.default_rng(11)

# (input shape, kernel shape, strides, padding pairs, dilation, groups); one with a cropping (negative) pad.
GEOMETRIES = {
    "3x3-same": ((5, 6, 5, 3), (3, 3, 3, 4), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
    "strided-dilated": ((5, 7, 6, 2), (2, 3, 2, 3), (2, 1), ((0, 1), (2, 2)), (1, 2), 1),
    "groups-and-crop": ((3, 7, 5, 4), (2, 2, 2, 6), (2, 1), ((1, -1), (2, 1)), (1, 2), 2),
    "conv1d": ((4, 9, 2), (3, 2, 3), (1,), ((2, 0),), (2,), 1),
}
# One batch item per block; two per block (the last one shorter) for the strided and grouped geometries; the
# whole batch in one block.
BLOCK_BYTES = [1, 5000, 2**30]


def _reference_conv(x, kernel, strides, padding, dilation):
    """The loop reference on `x` padded (or cropped) explicitly, with 'valid' windows."""
    widths = [(0, 0)] + [(max(lo, 0), max(hi, 0)) for lo, hi in padding] + [(0, 0)]
    x = np.pad(x, widths)
    crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(x.shape[1:-1], padding))
    return ref.conv(x[(slice(None),) + crop], kernel, strides=strides, dilation_rate=dilation)


@pytest.mark.parametrize("block_bytes", BLOCK_BYTES)
@pytest.mark.parametrize("name", GEOMETRIES)
def test_blocked_kernels_match_the_reference_and_are_adjoints(name, block_bytes):
    """conv equals the reference; <conv(x, k), g> = <x, input_grad(g, k)> = <k, kernel_grad(x, g)>."""
    x_shape, kernel_shape, strides, padding, dilation, groups = GEOMETRIES[name]
    workspace = kernels.Workspace(np, block_bytes=block_bytes)
    x, kernel = RNG.standard_normal(x_shape), RNG.standard_normal(kernel_shape)
    geometry = dict(strides=strides, padding=padding, dilation=dilation, groups=groups, workspace=workspace)
    out = kernels.conv(np, x, kernel, **geometry)
    np.testing.assert_allclose(out, _reference_conv(x, kernel, strides, padding, dilation), rtol=1e-12)
    g = RNG.standard_normal(out.shape)
    dx = kernels.conv_input_grad(np, g, kernel, x.shape, **geometry)
    dk = kernels.conv_kernel_grad(np, x, g, kernel.shape, **geometry)
    inner = np.sum(out * g)
    assert np.sum(x * dx) == pytest.approx(inner, rel=1e-12)
    assert np.sum(kernel * dk) == pytest.approx(inner, rel=1e-12)


def test_block_sizes_give_the_same_float32_result():
    """Blocks change only how the batch is split: results stay float32 and agree with one whole-batch block."""
    x = RNG.standard_normal((7, 8, 8, 5)).astype(np.float32)
    kernel = RNG.standard_normal((3, 3, 5, 4)).astype(np.float32)
    geometry = dict(strides=(1, 1), padding=((1, 1), (1, 1)), dilation=(1, 1), groups=1)
    results = []
    for block_bytes in (1, 2**30):
        workspace = kernels.Workspace(np, block_bytes=block_bytes)
        out = kernels.conv(np, x, kernel, workspace=workspace, **geometry)
        dk = kernels.conv_kernel_grad(np, x, out, kernel.shape, workspace=workspace, **geometry)
        dx = kernels.conv_input_grad(np, out, kernel, x.shape, workspace=workspace, **geometry)
        assert out.dtype == dk.dtype == dx.dtype == np.float32
        results.append((out, dk, dx))
    for blocked, whole in zip(*results):
        np.testing.assert_allclose(blocked, whole, rtol=1e-4, atol=1e-4)


def test_blocks_cover_the_batch_with_at_least_one_item_each():
    workspace = kernels.Workspace(np, block_bytes=100)
    assert workspace.blocks(5, 40) == [(0, 2), (2, 4), (4, 5)]
    assert workspace.blocks(3, 1000) == [(0, 1), (1, 2), (2, 3)]
    assert workspace.blocks(3, 1) == [(0, 3)]


def test_an_empty_batch_gives_empty_outputs_and_a_zero_kernel_gradient():
    workspace = kernels.Workspace(np)
    geometry = dict(strides=(1, 1), padding=((1, 1), (1, 1)), dilation=(1, 1), groups=1, workspace=workspace)
    x, kernel, g = np.zeros((0, 5, 5, 2)), np.ones((3, 3, 2, 4)), np.zeros((0, 5, 5, 4))
    assert kernels.conv(np, x, kernel, **geometry).shape == (0, 5, 5, 4)
    assert kernels.conv_input_grad(np, g, kernel, x.shape, **geometry).shape == x.shape
    np.testing.assert_array_equal(kernels.conv_kernel_grad(np, x, g, kernel.shape, **geometry), np.zeros(kernel.shape))
