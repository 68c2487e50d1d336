"""Metrics that pick the best threshold under a constraint: PrecisionAtRecall, RecallAtPrecision,
SensitivityAtSpecificity and SpecificityAtSensitivity.

Confusion counts are kept at `num_thresholds` evenly spaced thresholds from 0 to 1 (one threshold, 0.5, when
num_thresholds is 1); the result is the best value of one rate among thresholds where the other rate reaches
the required value (0 if none does), as Keras computes it.
"""
import numpy as np

import nnkit.ops as ops
from nnkit.metrics.base import Metric, assign_add, divide_no_nan
from nnkit.metrics.confusion import confusion_counts
from nnkit.metrics.inputs import as_tensor


class _RateAtRate(Metric):
    """Shared by the four metrics: the counts at each threshold and the constrained maximum."""

    def __init__(self, value, value_name, num_thresholds=200, class_id=None, name=None, dtype=None):
        if not 0 <= value <= 1:
            raise ValueError(f"Argument `{value_name}` must be in the range [0, 1]. Received: {value_name}={value}")
        if num_thresholds <= 0:
            raise ValueError(
                f"Argument `num_thresholds` must be an integer > 0. Received: num_thresholds={num_thresholds}"
            )
        super().__init__(name=name, dtype=dtype)
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
        else:
            self.thresholds = [0.0, *((i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)), 1.0]
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.true_negatives = self.add_variable(shape, name="true_negatives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        thresholds = as_tensor(np.asarray(self.thresholds, dtype=self.dtype))
        counts = confusion_counts(self.name, y_true, y_pred, thresholds, sample_weight, class_id=self.class_id)
        assign_add(self.true_positives, counts.true_positives)
        assign_add(self.false_positives, counts.false_positives)
        assign_add(self.true_negatives, counts.true_negatives)
        assign_add(self.false_negatives, counts.false_negatives)

    def _rates(self):
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        return {
            "recall": divide_no_nan(tp, ops.add(tp, fn)),
            "precision": divide_no_nan(tp, ops.add(tp, fp)),
            "specificity": divide_no_nan(tn, ops.add(tn, fp)),
        }

    def _best(self, constrained, dependent):
        """max(dependent where constrained >= value), 0 when no threshold qualifies."""
        rates = self._rates()
        feasible = ops.greater_equal(rates[constrained], self.value)
        return ops.maximum(ops.max(ops.where(feasible, rates[dependent], 0.0)), 0.0)

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id, "num_thresholds": self.num_thresholds}


class PrecisionAtRecall(_RateAtRate):
    """The best precision among thresholds whose recall is at least `recall`."""

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, "recall", num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)
        self.recall = recall

    def result(self):
        return self._best("recall", "precision")

    def get_config(self):
        return {**super().get_config(), "recall": self.recall}


class RecallAtPrecision(_RateAtRate):
    """The best recall among thresholds whose precision is at least `precision`."""

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, "precision", num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)
        self.precision = precision

    def result(self):
        return self._best("precision", "recall")

    def get_config(self):
        return {**super().get_config(), "precision": self.precision}


class SensitivityAtSpecificity(_RateAtRate):
    """The best sensitivity (recall) among thresholds whose specificity is at least `specificity`."""

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, "specificity", num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)
        self.specificity = specificity

    def result(self):
        return self._best("specificity", "recall")

    def get_config(self):
        return {**super().get_config(), "specificity": self.specificity}


class SpecificityAtSensitivity(_RateAtRate):
    """The best specificity among thresholds whose sensitivity (recall) is at least `sensitivity`."""

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, "sensitivity", num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)
        self.sensitivity = sensitivity

    def result(self):
        return self._best("recall", "specificity")

    def get_config(self):
        return {**super().get_config(), "sensitivity": self.sensitivity}
