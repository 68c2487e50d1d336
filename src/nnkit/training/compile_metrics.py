"""The metrics a compiled model reports: a loss tracker, per-output loss trackers and user metrics."""
import copy

from nnkit import metrics as metrics_module
from nnkit.training.compile_loss import _per_output


def _fresh(metric):
    """A metric with its own state (the same instance cannot serve two outputs)."""
    return copy.deepcopy(metric) if isinstance(metric, metrics_module.Metric) else metric


class CompileMetrics:
    """Built on the first batch, when target and prediction shapes are known (as Keras resolves
    'accuracy' into binary, categorical or sparse categorical accuracy)."""

    def __init__(self, metrics, output_names, compile_loss):
        self.output_names = list(output_names)
        self.compile_loss = compile_loss
        self.requested = _per_output(metrics or [], self.output_names, "metrics")
        self.built = False

    def build(self, y_true_shapes, y_pred_shapes):
        """Create every metric (and its variables, on the active backend)."""
        self.loss_tracker = metrics_module.Mean(name="loss")
        self.output_loss_trackers = [metrics_module.Mean(name=name) for name in self.compile_loss.names]
        multi = len(self.output_names) > 1
        self.output_metrics = []
        for index, requested in enumerate(self.requested):
            requested = requested if isinstance(requested, (list, tuple)) else ([] if requested is None else [requested])
            built = []
            for identifier in requested:
                if isinstance(identifier, str) and identifier in ("accuracy", "acc"):
                    metric = metrics_module.resolve_accuracy(identifier, y_true_shapes[index], y_pred_shapes[index],
                                                             loss=self.compile_loss.losses[index])
                else:
                    metric = metrics_module.get(_fresh(identifier) if index else identifier)
                if multi:
                    metric.name = f"{self.output_names[index]}_{metric.name}"
                built.append(metric)
            self.output_metrics.append(built)
        self.built = True

    @property
    def all_metrics(self):
        return [self.loss_tracker, *self.output_loss_trackers, *(m for group in self.output_metrics for m in group)]

    @property
    def variables(self):
        return [v for metric in self.all_metrics for v in metric.variables]

    @property
    def names(self):
        return [metric.name for metric in self.all_metrics]

    def update(self, y_true, y_pred, sample_weight, loss, output_losses, batch_size):
        """Update every metric from one batch (inside a pure step, through Variable.assign)."""
        self.loss_tracker.update_state(loss, sample_weight=batch_size)
        for tracker, value in zip(self.output_loss_trackers, output_losses):
            tracker.update_state(value, sample_weight=batch_size)
        for group, target, prediction in zip(self.output_metrics, y_true, y_pred):
            for metric in group:
                metric.update_state(target, prediction, sample_weight=sample_weight)

    def results(self):
        """{name: scalar} for the current state."""
        return {metric.name: metric.result() for metric in self.all_metrics}
