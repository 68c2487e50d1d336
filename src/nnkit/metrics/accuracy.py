"""Accuracy metrics: exact match, binary (thresholded), categorical, sparse categorical and top-k.

Each functional form returns one 0/1 value per sample (per element for exact and binary matches);
its class is the weighted running mean of those values.
"""
import nnkit.ops as ops
from nnkit.config import floatx
from nnkit.metrics.inputs import as_tensor, matching_pair, shape_error, sparse_labels
from nnkit.metrics.reduction import PresetMeanMetric, metric_function


def _same_shape(metric, y_true, y_pred):
    """Raise unless one-hot targets have exactly the predictions' shape."""
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise shape_error(metric, y_true, y_pred, "one-hot targets of the same shape")


def _in_top_k(labels, predictions, k):
    """Whether each label's score is among the k largest (ties count in the label's favour, as Keras)."""
    at_label = ops.take_along_axis(predictions, ops.expand_dims(labels, -1), axis=-1)
    at_label = ops.where(ops.isnan(at_label), float("-inf"), at_label)
    above = ops.sum(ops.cast(ops.greater(predictions, at_label), "int32"), axis=-1)
    return ops.less(above, k)


@metric_function
def accuracy(y_true, y_pred):
    """1 where the prediction equals the target exactly, else 0."""
    y_pred = as_tensor(y_pred)
    y_true, y_pred = matching_pair("accuracy", as_tensor(y_true, y_pred.dtype), y_pred)
    return ops.cast(ops.equal(y_true, y_pred), floatx())


@metric_function
def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1 where (y_pred > threshold) equals the 0/1 target, else 0."""
    y_true, y_pred = matching_pair("binary_accuracy", as_tensor(y_true), as_tensor(y_pred))
    predicted = ops.cast(ops.greater(y_pred, threshold), y_true.dtype)
    return ops.cast(ops.equal(y_true, predicted), floatx())


@metric_function
def categorical_accuracy(y_true, y_pred):
    """1 where the largest prediction is at the one-hot target's class, else 0 (one value per sample)."""
    y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
    _same_shape("categorical_accuracy", y_true, y_pred)
    return ops.cast(ops.equal(ops.argmax(y_true, axis=-1), ops.argmax(y_pred, axis=-1)), floatx())


@metric_function
def sparse_categorical_accuracy(y_true, y_pred):
    """1 where the largest prediction is at the integer label, else 0 (one value per sample)."""
    y_pred = as_tensor(y_pred)
    labels = sparse_labels("sparse_categorical_accuracy", as_tensor(y_true), y_pred)
    return ops.cast(ops.equal(labels, ops.cast(ops.argmax(y_pred, axis=-1), "int32")), floatx())


@metric_function
def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the one-hot target's class is among the k largest predictions, else 0."""
    y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
    _same_shape("top_k_categorical_accuracy", y_true, y_pred)
    labels = ops.cast(ops.argmax(y_true, axis=-1), "int32")
    return ops.cast(_in_top_k(labels, y_pred, k), floatx())


@metric_function
def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the integer label is among the k largest predictions, else 0."""
    y_pred = as_tensor(y_pred)
    labels = sparse_labels("sparse_top_k_categorical_accuracy", as_tensor(y_true), y_pred)
    return ops.cast(_in_top_k(labels, y_pred, k), floatx())


class Accuracy(PresetMeanMetric):
    """How often predictions equal targets exactly."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(PresetMeanMetric):
    """How often thresholded predictions match 0/1 targets."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(PresetMeanMetric):
    """How often the arg-max prediction matches the one-hot target."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(PresetMeanMetric):
    """How often the arg-max prediction matches the integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(PresetMeanMetric):
    """How often the one-hot target is among the top `k` predictions."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(PresetMeanMetric):
    """How often the integer label is among the top `k` predictions."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
