"""Regression metrics: mean squared, absolute, absolute percentage and squared logarithmic errors, root mean
squared error, cosine similarity and log-cosh error."""
import nnkit.ops as ops
from nnkit import losses
from nnkit.metrics.inputs import as_tensor, matching_pair
from nnkit.metrics.reduction import Mean, PresetMeanMetric, metric_function

mean_absolute_percentage_error = metric_function(losses.mean_absolute_percentage_error)
mean_squared_logarithmic_error = metric_function(losses.mean_squared_logarithmic_error)
log_cosh = metric_function(losses.log_cosh)
huber = metric_function(losses.huber)


def _errors(metric, y_true, y_pred):
    """y_pred - y_true (targets cast to the predictions' dtype, ranks aligned as Keras does)."""
    y_pred = as_tensor(y_pred)
    y_true, y_pred = matching_pair(metric, as_tensor(y_true, y_pred.dtype), y_pred)
    return ops.subtract(y_pred, y_true)


@metric_function
def mean_squared_error(y_true, y_pred):
    """Mean of the squared errors over the last axis."""
    return ops.mean(ops.square(_errors("mean_squared_error", y_true, y_pred)), axis=-1)


@metric_function
def mean_absolute_error(y_true, y_pred):
    """Mean of the absolute errors over the last axis."""
    return ops.mean(ops.abs(_errors("mean_absolute_error", y_true, y_pred)), axis=-1)


class MeanSquaredError(PresetMeanMetric):
    """The running (weighted) mean squared error."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(PresetMeanMetric):
    """The running (weighted) mean absolute error."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """The square root of the running (weighted) mean squared error."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        errors = _errors(self.name, as_tensor(y_true, self.dtype), as_tensor(y_pred, self.dtype))
        super().update_state(ops.square(errors), sample_weight=sample_weight)

    def result(self):
        return ops.sqrt(super().result())


@metric_function
def cosine_similarity(y_true, y_pred, axis=-1):
    """sum(unit(y_true) * unit(y_pred)) along `axis`: 1 for parallel vectors, 0 if either is zero (the loss's
    negative)."""
    return ops.negative(losses.cosine_similarity(y_true, y_pred, axis=axis))


class MeanAbsolutePercentageError(PresetMeanMetric):
    """The running mean of 100 * |y_true - y_pred| / |y_true|."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(PresetMeanMetric):
    """The running mean of (log(1 + y_pred) - log(1 + y_true))^2."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)


class CosineSimilarity(PresetMeanMetric):
    """The running cosine similarity between targets and predictions along `axis`."""

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


class LogCoshError(PresetMeanMetric):
    """The running mean of log(cosh(y_pred - y_true))."""

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(log_cosh, name=name, dtype=dtype)
