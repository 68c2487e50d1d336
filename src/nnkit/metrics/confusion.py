"""Confusion-matrix metrics at thresholds: true/false positive/negative counts, Precision and Recall.

A prediction counts as positive at threshold t when it is strictly greater than t (Keras' rule).
Counting compares every prediction with every threshold at once: static shapes, no data-dependent
control flow, so it traces under jax.jit.
"""
from collections import namedtuple

import numpy as np

import nnkit.ops as ops
from nnkit.metrics.base import Metric, assign_add, divide_no_nan
from nnkit.metrics.inputs import align_ranks, as_tensor, matching_pair

# The threshold top_k metrics use: everything kept by the top-k filter is above it.
NEG_INF = -1e10

Counts = namedtuple("Counts", "true_positives false_positives true_negatives false_negatives")


def parse_thresholds(thresholds, default):
    """A list of float thresholds in [0, 1] from None (-> [default]), one number or a sequence."""
    if thresholds is None:
        return [default]
    listed = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    invalid = [t for t in listed if t is None or not 0 <= t <= 1]
    if invalid or not listed:
        raise ValueError(f"Threshold values must be in [0, 1]; received {thresholds!r}.")
    return [float(t) for t in listed]


def filter_top_k(x, k):
    """`x` with all but the k largest entries of its last axis set to NEG_INF."""
    top = ops.getitem(ops.argsort(ops.negative(x), axis=-1), (Ellipsis, slice(0, k)))
    keep = ops.sum(ops.one_hot(top, x.shape[-1], dtype=x.dtype), axis=-2)
    return ops.add(ops.multiply(x, keep), ops.multiply(NEG_INF, ops.subtract(1.0, keep)))


def confusion_counts(metric, y_true, y_pred, thresholds, sample_weight=None, top_k=None, class_id=None,
                     multi_label=False, label_weights=None):
    """Weighted TP, FP, TN, FN at each threshold: shape (thresholds,), or (thresholds, labels) when
    `multi_label` keeps the last axis of 2-D data apart instead of flattening everything."""
    dtype = thresholds.dtype
    y_true, y_pred = matching_pair(metric, as_tensor(y_true), as_tensor(y_pred, dtype))
    if sample_weight is not None:
        sample_weight = ops.expand_dims(as_tensor(sample_weight, dtype), -1)
        _, sample_weight = align_ranks(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if len(y_pred.shape) < 2:
            raise ValueError(
                f"{metric}: class_id needs predictions of shape (samples, classes); received {tuple(y_pred.shape)}."
            )
        index = (Ellipsis, slice(class_id, class_id + 1))
        y_true, y_pred = ops.getitem(y_true, index), ops.getitem(y_pred, index)
    shape = tuple(y_pred.shape)
    weights = ops.ones(shape, dtype) if sample_weight is None else ops.broadcast_to(sample_weight, shape)
    if label_weights is not None:
        weights = ops.multiply(weights, as_tensor(label_weights, dtype))
    if not multi_label:
        y_true, y_pred, weights = (ops.reshape(a, (-1,)) for a in (y_true, y_pred, weights))
    positive = ops.where(ops.not_equal(y_true, 0), weights, 0.0)
    negative = ops.subtract(weights, positive)
    # above[t, ...] = 1 where the prediction exceeds threshold t.
    per_threshold = ops.reshape(thresholds, (-1,) + (1,) * len(y_pred.shape))
    above = ops.cast(ops.greater(ops.expand_dims(y_pred, 0), per_threshold), dtype)
    true_positives = ops.sum(ops.multiply(above, positive), axis=1)
    false_positives = ops.sum(ops.multiply(above, negative), axis=1)
    return Counts(
        true_positives,
        false_positives,
        ops.subtract(ops.sum(negative, axis=0), false_positives),
        ops.subtract(ops.sum(positive, axis=0), true_positives),
    )


class _ThresholdMetric(Metric):
    """Shared by the metrics below: their thresholds (one result per threshold) and the counting."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)

    def _add_counter(self, name):
        return self.add_variable((len(self.thresholds),), name=name)

    def _counts(self, y_true, y_pred, sample_weight):
        thresholds = as_tensor(np.asarray(self.thresholds, dtype=self.dtype))
        return confusion_counts(self.name, y_true, y_pred, thresholds, sample_weight,
                                top_k=self.top_k, class_id=self.class_id)

    def _per_threshold(self, values):
        """A scalar for a single threshold, else one value per threshold."""
        return ops.getitem(values, 0) if len(self.thresholds) == 1 else values

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class _ConditionCount(_ThresholdMetric):
    """The weighted count of one confusion-matrix cell at each threshold."""

    cell = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)
        self.accumulator = self._add_counter("accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        assign_add(self.accumulator, getattr(self._counts(y_true, y_pred, sample_weight), self.cell))

    def result(self):
        return self._per_threshold(self.accumulator.value)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


class TruePositives(_ConditionCount):
    """Weighted count of positive targets predicted positive."""

    cell = "true_positives"


class FalsePositives(_ConditionCount):
    """Weighted count of negative targets predicted positive."""

    cell = "false_positives"


class TrueNegatives(_ConditionCount):
    """Weighted count of negative targets predicted negative."""

    cell = "true_negatives"


class FalseNegatives(_ConditionCount):
    """Weighted count of positive targets predicted negative."""

    cell = "false_negatives"


class Precision(_ThresholdMetric):
    """TP / (TP + FP): how many predicted positives are right; `top_k` counts only each sample's k
    highest predictions as positive, `class_id` looks at one class only."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, top_k=top_k, class_id=class_id, name=name, dtype=dtype)
        self.true_positives = self._add_counter("true_positives")
        self.false_positives = self._add_counter("false_positives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = self._counts(y_true, y_pred, sample_weight)
        assign_add(self.true_positives, counts.true_positives)
        assign_add(self.false_positives, counts.false_positives)

    def result(self):
        predicted = ops.add(self.true_positives, self.false_positives)
        return self._per_threshold(divide_no_nan(self.true_positives, predicted))


class Recall(_ThresholdMetric):
    """TP / (TP + FN): how many positive targets are found; `top_k` and `class_id` as in Precision."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, top_k=top_k, class_id=class_id, name=name, dtype=dtype)
        self.true_positives = self._add_counter("true_positives")
        self.false_negatives = self._add_counter("false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = self._counts(y_true, y_pred, sample_weight)
        assign_add(self.true_positives, counts.true_positives)
        assign_add(self.false_negatives, counts.false_negatives)

    def result(self):
        actual = ops.add(self.true_positives, self.false_negatives)
        return self._per_threshold(divide_no_nan(self.true_positives, actual))
