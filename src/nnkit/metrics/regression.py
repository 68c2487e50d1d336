"""Regression metrics: mean squared error, mean absolute error and root mean squared error."""
import nnkit.ops as ops
from nnkit.metrics.inputs import as_tensor, matching_pair
from nnkit.metrics.reduction import Mean, PresetMeanMetric, metric_function


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
