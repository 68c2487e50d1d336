"""Streaming reductions: Sum, Mean, and MeanMetricWrapper (the weighted mean of a per-sample function)."""
import numbers

import nnkit.ops as ops
from nnkit.metrics.base import Metric, assign_add, divide_no_nan
from nnkit.metrics.inputs import align_ranks, as_tensor

# Metric functions by name, so a MeanMetricWrapper config can name its function.
METRIC_FUNCTIONS = {}


def metric_function(fn):
    """Decorator: register a per-sample metric function under its name (so configs can name it)."""
    METRIC_FUNCTIONS[fn.__name__] = fn
    return fn


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Keras' weighting rule: values reduced to one per sample (through the weights' rank), weighted.

    Returns (weighted values of rank <= 1, weights reduced to one per sample, or None)."""
    values = as_tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = as_tensor(sample_weight, dtype)
        values, sample_weight = align_ranks(values, sample_weight)
        weight_ndim, values_ndim = len(sample_weight.shape), len(values.shape)
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        sample_weight = ops.broadcast_to(sample_weight, tuple(values.shape))
        values = ops.multiply(values, sample_weight)
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if len(values.shape) > 1:
        values = reduce_fn(values, axis=tuple(range(1, len(values.shape))))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of every value seen."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, ops.sum, self.dtype)
        assign_add(self.total, ops.sum(values))

    def result(self):
        return ops.cast(self.total, self.dtype)


class Mean(Metric):
    """The (weighted) mean of every value seen: total / count, 0 before any data."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count")

    def update_state(self, values, sample_weight=None):
        values = as_tensor(values, self.dtype)
        if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, bool) \
                and len(values.shape) == 0:  # one value, a constant weight: how a model tracks its loss per batch
            assign_add(self.total, ops.multiply(values, sample_weight))
            assign_add(self.count, sample_weight)
            return
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, ops.mean, self.dtype)
        assign_add(self.total, ops.sum(values))
        if sample_weight is not None:
            count = ops.sum(sample_weight)
        else:
            count = values.shape[0] if len(values.shape) else 1
        assign_add(self.count, as_tensor(count, self.dtype))

    def result(self):
        return divide_no_nan(self.total, self.count)


class MeanMetricWrapper(Mean):
    """The weighted mean of `fn(y_true, y_pred, **fn_kwargs)`, a function returning per-sample values."""

    def __init__(self, fn, name=None, dtype=None, **fn_kwargs):
        super().__init__(name=name or fn.__name__, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = fn_kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        try:
            values = self._fn(as_tensor(y_true), as_tensor(y_pred), **self._fn_kwargs)
        except ValueError as error:
            if str(error).startswith(f"{self.name}:"):
                raise
            raise ValueError(f"Metric '{self.name}': {error}") from error
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), "fn": self._fn.__name__, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn")
        if isinstance(fn, str):
            if fn not in METRIC_FUNCTIONS:
                raise ValueError(f"Unknown metric function {fn!r}; known: {', '.join(sorted(METRIC_FUNCTIONS))}.")
            fn = METRIC_FUNCTIONS[fn]
        return cls(fn, **config)


class PresetMeanMetric(MeanMetricWrapper):
    """A MeanMetricWrapper whose function is fixed by its class; its config is just its own arguments."""

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
