"""The NumPy max-pool kernels on windows that tile the input, leave elements over, or leave gaps between them,
with the ties that ReLU outputs are full of: each window's gradient goes to its first maximum in row-major
order, and elements in no window get zero."""
import itertools

import numpy as np
import pytest

from nnkit.backends import xp_pooling as kernels


def _first_maximum_gradient(x, g, pool_size, strides):
    """Loop reference ('valid', channels-last 2-D): g of each window added at its first maximum."""
    grad = np.zeros_like(x)
    for n, i, j, c in itertools.product(*(range(size) for size in g.shape)):
        window = x[n, i * strides[0]:i * strides[0] + pool_size[0], j * strides[1]:j * strides[1] + pool_size[1], c]
        a, b = np.unravel_index(np.argmax(window), window.shape)  # argmax: the first maximum
        grad[n, i * strides[0] + a, j * strides[1] + b, c] += g[n, i, j, c]
    return grad


@pytest.mark.parametrize("shape, pool_size, strides", [
    ((2, 4, 6, 3), (2, 2), (2, 2)),  # windows tile the input
    ((2, 5, 7, 3), (2, 2), (2, 2)),  # the last row and column are in no window
    ((1, 7, 7, 2), (2, 2), (3, 3)),  # gaps between windows
    ((1, 5, 5, 2), (3, 3), (2, 2)),  # overlapping windows
])
def test_max_pool_gradient_goes_to_the_first_maximum(shape, pool_size, strides):
    rng = np.random.default_rng(3)
    x = np.maximum(rng.integers(-3, 3, size=shape), 0).astype(np.float32)  # mostly zeros: many ties
    out = kernels.max_pool(np, x, pool_size, strides, "valid", "channels_last")
    g = rng.standard_normal(out.shape).astype(np.float32)
    grad = kernels.max_pool_backward(np, x, out, g, pool_size, strides, "valid", "channels_last")
    np.testing.assert_allclose(grad, _first_maximum_gradient(x, g, pool_size, strides), rtol=1e-6)
    assert grad.dtype == np.float32


def test_a_window_of_one_element_is_a_copy():
    x = np.arange(12.0).reshape(1, 3, 4, 1)
    out = kernels.max_pool(np, x, (1, 1), (1, 1), "valid", "channels_last")
    np.testing.assert_array_equal(out, x)
    assert not np.shares_memory(out, x)
