"""R2Score: the coefficient of determination 1 - SS_res / SS_tot per output column, from running sums."""
import nnkit.ops as ops
from nnkit.metrics.base import Metric, assign_add
from nnkit.metrics.inputs import align_ranks, as_tensor, check_two_dimensional

_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """R^2 of each of the `output_dim` targets, averaged uniformly or by target variance (None: one per target);
    `num_regressors` > 0 gives the adjusted R^2 over the number of target values seen (Keras' rule).
    Its per-target state is created by `build` (compile() calls it; a first update_state does otherwise)."""

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(
                f"Invalid value for argument `class_aggregation`. Expected one of {_AGGREGATIONS}. "
                f"Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                f"Invalid value for argument `num_regressors`. Expected a value >= 0. Received: "
                f"num_regressors={num_regressors}"
            )
        super().__init__(name=name, dtype=dtype)
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), name="num_samples")
        self.built = False

    def build(self, y_true_shape, y_pred_shape):
        """Create the per-target sums for predictions of shape (batch, output_dim)."""
        if self.built:
            return
        check_two_dimensional(self.name, "R2Score", y_true_shape, y_pred_shape)
        shape = (y_pred_shape[-1],)
        self.squared_sum = self.add_variable(shape, name="squared_sum")
        self.sum = self.add_variable(shape, name="sum")
        self.total_mse = self.add_variable(shape, name="residual")
        self.count = self.add_variable(shape, name="count")
        self.built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = align_ranks(as_tensor(y_true, self.dtype), as_tensor(y_pred, self.dtype))
        self.build(tuple(y_true.shape), tuple(y_pred.shape))
        if tuple(y_true.shape) != tuple(y_pred.shape):
            raise ValueError(
                f"{self.name}: y_true of shape {tuple(y_true.shape)} does not fit y_pred of shape "
                f"{tuple(y_pred.shape)}; expected the same shape."
            )
        weights = as_tensor(1.0 if sample_weight is None else sample_weight, self.dtype)
        if len(weights.shape) == 1:
            weights = ops.expand_dims(weights, 1)
        weights = ops.broadcast_to(weights, tuple(y_true.shape))
        weighted_true = ops.multiply(y_true, weights)
        assign_add(self.sum, ops.sum(weighted_true, axis=0))
        assign_add(self.squared_sum, ops.sum(ops.multiply(y_true, weighted_true), axis=0))
        assign_add(self.total_mse, ops.sum(ops.multiply(ops.square(ops.subtract(y_true, y_pred)), weights), axis=0))
        assign_add(self.count, ops.sum(weights, axis=0))
        assign_add(self.num_samples, y_true.shape[0] * y_true.shape[1])

    def result(self):
        mean = ops.divide(self.sum, self.count)
        total = ops.subtract(self.squared_sum, ops.multiply(self.sum, mean))
        raw = ops.subtract(1.0, ops.divide(self.total_mse, total))
        raw = ops.where(ops.logical_or(ops.isnan(raw), ops.isfinite(raw)), raw, 0.0)  # infinities -> 0, as Keras
        if self.class_aggregation == "uniform_average":
            score = ops.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = ops.divide(ops.sum(ops.multiply(total, raw)), ops.sum(total))
        else:
            score = raw
        if self.num_regressors:
            n = self.num_samples
            adjusted = ops.subtract(
                1.0, ops.divide(ops.multiply(ops.subtract(1.0, score), ops.subtract(n, 1.0)),
                                ops.subtract(ops.subtract(n, self.num_regressors), 1.0))
            )
            # With no more values than regressors + 1 the adjustment is undefined: plain R^2, as Keras falls back.
            score = ops.where(ops.less(self.num_regressors, ops.subtract(n, 1.0)), adjusted, score)
        return score

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
