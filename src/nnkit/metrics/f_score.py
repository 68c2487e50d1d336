"""FBetaScore and F1Score: the harmonic mean of precision and recall (weighted by beta), per class or averaged."""
import nnkit.ops as ops
from nnkit.config import epsilon
from nnkit.metrics.base import Metric, assign_add
from nnkit.metrics.inputs import as_tensor, check_two_dimensional, shape_error

_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """(1 + beta^2) P R / (beta^2 P + R) per class (`average=None`), over all entries ('micro'), averaged over
    classes ('macro') or weighted by each class's support ('weighted'). A prediction is positive where it exceeds
    `threshold`, or (threshold None) where it is its row's maximum. Per-class state is created by `build`
    (compile() calls it; a first update_state does otherwise)."""

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        if average not in _AVERAGES:
            raise ValueError(
                "Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', 'weighted'}. "
                f"Received: average={average}"
            )
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be a Python float > 0. Received: beta={beta!r}")
        if threshold is not None and (not isinstance(threshold, float) or not 0.0 < threshold <= 1.0):
            raise ValueError(
                "Invalid `threshold` argument value. It should be a Python float with 0 < threshold <= 1. "
                f"Received: threshold={threshold!r}"
            )
        super().__init__(name=name, dtype=dtype)
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self.built = False

    def build(self, y_true_shape, y_pred_shape):
        """Create the counts for predictions of shape (batch, classes)."""
        if self.built:
            return
        check_two_dimensional(self.name, "FBetaScore", y_true_shape, y_pred_shape)
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, name="intermediate_weights")
        self.built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = as_tensor(y_true, self.dtype), as_tensor(y_pred, self.dtype)
        self.build(tuple(y_true.shape), tuple(y_pred.shape))
        if tuple(y_true.shape) != tuple(y_pred.shape):
            raise shape_error(self.name, y_true, y_pred, "the same shape (batch_size, output_dim)")
        if self.threshold is None:
            is_max = ops.greater_equal(y_pred, ops.max(y_pred, axis=-1, keepdims=True))
            predicted = ops.logical_and(is_max, ops.greater(ops.abs(y_pred), 1e-9))
        else:
            predicted = ops.greater(y_pred, self.threshold)
        predicted = ops.cast(predicted, self.dtype)
        weights = None if sample_weight is None else ops.expand_dims(as_tensor(sample_weight, self.dtype), 1)

        def weighted_sum(values):
            return ops.sum(values if weights is None else ops.multiply(values, weights), axis=self.axis)

        missed = ops.subtract(1.0, predicted)
        assign_add(self.true_positives, weighted_sum(ops.multiply(predicted, y_true)))
        assign_add(self.false_positives, weighted_sum(ops.multiply(predicted, ops.subtract(1.0, y_true))))
        assign_add(self.false_negatives, weighted_sum(ops.multiply(missed, y_true)))
        assign_add(self.intermediate_weights, weighted_sum(y_true))

    def result(self):
        tp = self.true_positives
        precision = ops.divide(tp, ops.add(ops.add(tp, self.false_positives), epsilon()))
        recall = ops.divide(tp, ops.add(ops.add(tp, self.false_negatives), epsilon()))
        beta_squared = self.beta**2
        harmonic = ops.divide(ops.multiply(precision, recall),
                              ops.add(ops.add(ops.multiply(precision, beta_squared), recall), epsilon()))
        score = ops.multiply(harmonic, 1.0 + beta_squared)
        if self.average == "weighted":
            support = self.intermediate_weights
            return ops.sum(ops.multiply(score, ops.divide(support, ops.add(ops.sum(support), epsilon()))))
        if self.average is not None:
            return ops.mean(score)
        return score

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """FBetaScore with beta = 1: the harmonic mean of precision and recall."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
