"""AUC: the area under the ROC or precision-recall curve, from confusion counts at fixed thresholds.

Keras' approach: accumulate TP/FP/TN/FN at `num_thresholds` evenly spaced thresholds (plus endpoints
just outside [0, 1]) and sum the curve between neighbouring thresholds with a Riemann rule.
"""
import numpy as np

import nnkit.ops as ops
from nnkit.config import epsilon
from nnkit.metrics.base import Metric, assign_add, divide_no_nan
from nnkit.metrics.confusion import confusion_counts, parse_thresholds
from nnkit.metrics.inputs import as_tensor

_CURVES = ("ROC", "PR")
_SUMMATIONS = ("interpolation", "minoring", "majoring")


def _head(x):
    """All but the last threshold."""
    return ops.getitem(x, slice(None, -1))


def _tail(x):
    """All but the first threshold."""
    return ops.getitem(x, slice(1, None))


class AUC(Metric):
    """Approximate ROC-AUC or PR-AUC; `multi_label=True` (with `num_labels`) averages one AUC per label."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None,
                 dtype=None, thresholds=None, multi_label=False, num_labels=None, label_weights=None,
                 from_logits=False):
        if str(curve).upper() not in _CURVES:
            raise ValueError(f"Invalid AUC curve {curve!r}; expected one of {list(_CURVES)}.")
        if str(summation_method).lower() not in _SUMMATIONS:
            raise ValueError(
                f"Invalid AUC summation_method {summation_method!r}; expected one of {list(_SUMMATIONS)}."
            )
        if thresholds is not None:
            inner = sorted(parse_thresholds(thresholds, None))
        elif num_thresholds is None or num_thresholds <= 1:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 1; received {num_thresholds!r}.")
        else:
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        if multi_label and not num_labels:
            raise ValueError(
                "AUC(multi_label=True) needs `num_labels`: nnkit creates metric state before the first batch."
            )
        if num_labels and not multi_label:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        super().__init__(name=name, dtype=dtype)
        self.curve = str(curve).upper()
        self.summation_method = str(summation_method).lower()
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else [float(w) for w in label_weights]
        self.from_logits = from_logits
        self._init_from_thresholds = thresholds is not None
        # Endpoints just outside [0, 1] so predictions of exactly 0 or 1 land inside the curve.
        self._thresholds = np.array([0.0 - epsilon(), *inner, 1.0 + epsilon()])
        self.num_thresholds = len(self._thresholds)
        shape = (self.num_thresholds, num_labels) if multi_label else (self.num_thresholds,)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.true_negatives = self.add_variable(shape, name="true_negatives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")

    @property
    def thresholds(self):
        """The thresholds the curve is evaluated at, endpoints included."""
        return self._thresholds.tolist()

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = as_tensor(y_pred, self.dtype)
        if self.multi_label and (len(y_pred.shape) != 2 or y_pred.shape[-1] != self.num_labels):
            raise ValueError(
                f"{self.name}: multi_label AUC expects y_pred of shape (samples, {self.num_labels}); "
                f"received {tuple(y_pred.shape)}."
            )
        if self.from_logits:
            y_pred = ops.sigmoid(y_pred)
        counts = confusion_counts(
            self.name, y_true, ops.clip(y_pred, 0.0, 1.0), as_tensor(self._thresholds.astype(self.dtype)),
            sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )
        assign_add(self.true_positives, counts.true_positives)
        assign_add(self.false_positives, counts.false_positives)
        assign_add(self.true_negatives, counts.true_negatives)
        assign_add(self.false_negatives, counts.false_negatives)

    def _interpolate_pr(self):
        """Per-interval PR areas with TP and predicted positives P linear between thresholds
        (Davis & Goadrich 2006), integrated in closed form as Keras does."""
        tp, fn = self.true_positives, self.false_negatives
        predicted = ops.add(tp, self.false_positives)
        d_tp = ops.subtract(_head(tp), _tail(tp))
        d_predicted = ops.subtract(_head(predicted), _tail(predicted))
        slope = divide_no_nan(d_tp, ops.maximum(d_predicted, 0.0))
        intercept = ops.subtract(_tail(tp), ops.multiply(slope, _tail(predicted)))
        both_positive = ops.logical_and(ops.greater(_head(predicted), 0), ops.greater(_tail(predicted), 0))
        ratio = ops.where(both_positive, divide_no_nan(_head(predicted), ops.maximum(_tail(predicted), 0.0)), 1.0)
        area = ops.multiply(slope, ops.add(d_tp, ops.multiply(intercept, ops.log(ratio))))
        return divide_no_nan(area, ops.maximum(ops.add(_tail(tp), _tail(fn)), 0.0))

    def _riemann_terms(self):
        """Per-interval areas of the ROC or PR curve under the chosen summation rule."""
        tp = self.true_positives
        recall = divide_no_nan(tp, ops.add(tp, self.false_negatives))
        if self.curve == "ROC":
            fp = self.false_positives
            x, y = divide_no_nan(fp, ops.add(fp, self.true_negatives)), recall
        else:
            x, y = recall, divide_no_nan(tp, ops.add(tp, self.false_positives))
        if self.summation_method == "interpolation":
            heights = ops.multiply(ops.add(_head(y), _tail(y)), 0.5)
        elif self.summation_method == "minoring":
            heights = ops.minimum(_head(y), _tail(y))
        else:
            heights = ops.maximum(_head(y), _tail(y))
        return ops.multiply(ops.subtract(_head(x), _tail(x)), heights)

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            terms = self._interpolate_pr()
        else:
            terms = self._riemann_terms()
        if not self.multi_label:
            return ops.sum(terms)
        per_label = ops.sum(terms, axis=0)
        if self.label_weights is None:
            return ops.mean(per_label)
        weights = as_tensor(np.asarray(self.label_weights, dtype=self.dtype))
        return divide_no_nan(ops.sum(ops.multiply(per_label, weights)), ops.sum(weights))

    def get_config(self):
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self.label_weights,
            "from_logits": self.from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
