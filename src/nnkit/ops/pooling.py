"""Pooling primitives over N-d windows (max and average), with Keras' arguments; kernels come from the backend.

The forward is the backend's kernel (NumPy: strided slices per window offset; JAX: lax.reduce_window, which
JAX differentiates itself); nnkit's tape uses the backend's backward kernels below.
"""
from nnkit.backends import active
from nnkit.ops.primitive import primitive
from nnkit.ops.spatial_arguments import data_format_name, padding_name, per_axis

__all__ = ["average_pool", "max_pool"]


def window_arguments(shape, pool_size, strides=None, padding="valid", data_format=None):
    """Keras' pooling arguments for an input of `shape`, made explicit: one int per pooled axis for pool_size
    and strides (strides default to pool_size), padding 'valid' or 'same', data_format 'channels_last'
    (default) or 'channels_first'. Raises ValueError for anything else, and for 'valid' windows larger
    than the input."""
    rank = len(shape) - 2
    if rank < 1:
        raise ValueError(f"Pooling needs an input with a batch, a channels and at least one spatial axis; "
                         f"received an input of shape {tuple(shape)}.")
    pool_size = per_axis(pool_size, rank, "pool_size")
    strides = pool_size if strides is None else per_axis(strides, rank, "strides")
    padding = padding_name(padding)
    data_format = data_format_name(data_format)
    spatial = shape[1:-1] if data_format == "channels_last" else shape[2:]
    if padding == "valid" and any(size < pool for size, pool in zip(spatial, pool_size)):
        raise ValueError(f"pool_size {pool_size} with padding='valid' is larger than the spatial axes of the "
                         f"input of shape {tuple(shape)}.")
    return {"pool_size": pool_size, "strides": strides, "padding": padding, "data_format": data_format}


@primitive
def _max_pool(xp, x, pool_size, strides, padding, data_format):
    return active.backend.max_pool(x, pool_size, strides, padding, data_format)


_max_pool.defvjp(lambda xp, g, out, x, **window: active.backend.max_pool_backward(x, out, g, **window))


@primitive
def _average_pool(xp, x, pool_size, strides, padding, data_format):
    return active.backend.average_pool(x, pool_size, strides, padding, data_format)


_average_pool.defvjp(lambda xp, g, out, x, **window: active.backend.average_pool_backward(g, x.shape, **window))


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The maximum over each window of the spatial axes of `inputs` (batch, *spatial, channels) or, with
    data_format='channels_first', (batch, channels, *spatial)."""
    return _max_pool(inputs, **window_arguments(tuple(inputs.shape), pool_size, strides, padding, data_format))


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The mean over each window of the spatial axes (with 'same' padding, of its real elements only)."""
    return _average_pool(inputs, **window_arguments(tuple(inputs.shape), pool_size, strides, padding,
                                                    data_format))
