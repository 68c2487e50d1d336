"""Hinge metrics: the running (weighted) mean of the hinge, squared hinge and categorical hinge losses."""
from nnkit import losses
from nnkit.metrics.reduction import PresetMeanMetric, metric_function

hinge = metric_function(losses.hinge)
squared_hinge = metric_function(losses.squared_hinge)
categorical_hinge = metric_function(losses.categorical_hinge)


class Hinge(PresetMeanMetric):
    """The running mean of max(1 - y_true * y_pred, 0), labels -1/1 (0/1 are converted)."""

    def __init__(self, name="hinge", dtype=None):
        super().__init__(hinge, name=name, dtype=dtype)


class SquaredHinge(PresetMeanMetric):
    """The running mean of max(1 - y_true * y_pred, 0)^2, labels -1/1 (0/1 are converted)."""

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(PresetMeanMetric):
    """The running categorical hinge loss of one-hot targets."""

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, dtype=dtype)
