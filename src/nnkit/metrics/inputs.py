"""How metrics take their inputs: conversion to backend arrays, Keras' rank alignment, shape checks.

Shapes are static everywhere, so every check here is plain Python that runs once at trace time.
"""
import nnkit.ops as ops


def as_tensor(value, dtype=None):
    """`value` (array, list, scalar or traced value) as an array of the active backend, cast to `dtype`."""
    value = ops.convert_to_tensor(value)
    return value if dtype is None or value.dtype == dtype else ops.cast(value, dtype)


def align_ranks(x1, x2, expand_rank_1=True):
    """Keras' squeeze_or_expand_to_same_rank: when the ranks differ by one and the longer one ends in 1,
    drop that axis (or, for a rank-1 partner, add one to the partner instead)."""
    rank1, rank2 = len(x1.shape), len(x2.shape)
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    if rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


def shape_error(metric, y_true, y_pred, expected):
    """The ValueError for targets and predictions whose shapes do not fit together."""
    return ValueError(
        f"{metric}: y_true of shape {tuple(y_true.shape)} does not fit y_pred of shape "
        f"{tuple(y_pred.shape)}; expected {expected}."
    )


def check_two_dimensional(metric, kind, y_true_shape, y_pred_shape):
    """A ValueError unless targets and predictions are (batch_size, output_dim) with a known output_dim."""
    if len(y_pred_shape) != 2 or len(y_true_shape) != 2 or y_pred_shape[-1] is None:
        raise ValueError(
            f"{metric}: {kind} expects 2D inputs with shape (batch_size, output_dim). Received input shapes: "
            f"y_pred.shape={tuple(y_pred_shape)} and y_true.shape={tuple(y_true_shape)}."
        )


def matching_pair(metric, y_true, y_pred):
    """(y_true, y_pred) with equal shapes after Keras' rank alignment, else a ValueError."""
    aligned_true, aligned_pred = align_ranks(y_true, y_pred)
    if tuple(aligned_true.shape) != tuple(aligned_pred.shape):
        raise shape_error(metric, y_true, y_pred, "the same shape, up to a trailing axis of size 1")
    return aligned_true, aligned_pred


def sparse_labels(metric, y_true, y_pred):
    """Integer labels shaped like y_pred without its class axis (a trailing 1 on y_true is dropped)."""
    batch_shape = tuple(y_pred.shape[:-1])
    if not y_pred.shape:
        raise shape_error(metric, y_true, y_pred, "predictions with a class axis")
    if tuple(y_true.shape) == batch_shape + (1,):
        y_true = ops.squeeze(y_true, -1)
    elif tuple(y_true.shape) != batch_shape:
        raise shape_error(metric, y_true, y_pred, f"integer labels of shape {batch_shape} or {batch_shape + (1,)}")
    return ops.cast(y_true, "int32")
