"""Boolean masks the attention layers share: causal and sliding-window masks (True: may attend), and the
check that a sequence mask matches its tensor."""
import numpy as np

from nnkit import ops


def causal_mask(query_length, value_length):
    """(1, T, S): position i of the query may attend to positions j <= i of the value."""
    return ops.convert_to_tensor(np.tril(np.ones((query_length, value_length), dtype=bool))[None])


def sliding_window_mask(query_length, value_length, window):
    """(1, T, S): position i may attend to positions j with |i - j| < window."""
    distance = np.abs(np.arange(query_length)[:, None] - np.arange(value_length)[None, :])
    return ops.convert_to_tensor((distance < window)[None])


def check_mask(layer, argument, mask, tensor):
    """A ValueError naming the layer unless `mask` has the shape of `tensor` without its last axis."""
    if mask is None:
        return
    expected = tuple(tensor.shape[:-1])
    if tuple(mask.shape) != expected:
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): {argument} must have shape {expected} "
                         f"(the {argument.removesuffix('_mask')} shape without its last axis), but received "
                         f"a mask of shape {tuple(mask.shape)}.")
