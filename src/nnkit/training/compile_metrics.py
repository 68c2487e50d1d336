"""The metrics a compiled model reports: a loss tracker, per-output loss trackers and user metrics."""
import copy

from nnkit import metrics as metrics_module
from nnkit.training.compile_loss import _per_output


def _fresh(metric):
    """A metric with its own state (the same instance cannot serve two outputs)."""
    return copy.deepcopy(metric) if isinstance(metric, metrics_module.Metric) else metric


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _metrics_per_output(metrics, output_names):
    """compile(metrics=...): a flat list applies to every output (as tf.keras did); a list of lists or a
    dict keyed by output name gives each output its own."""
    if isinstance(metrics, dict):
        return [_as_list(item) for item in _per_output(metrics, output_names, "metrics")]
    if isinstance(metrics, (list, tuple)) and metrics and all(m is None or isinstance(m, (list, tuple)) for m in metrics):
        return [_as_list(item) for item in _per_output(list(metrics), output_names, "metrics")]
    return [_as_list(metrics) for _ in output_names]


class CompileMetrics:
    """Built on the first batch, when target and prediction shapes are known (as Keras resolves
    'accuracy' into binary, categorical or sparse categorical accuracy)."""

    def __init__(self, metrics, output_names, compile_loss):
        self.output_names = list(output_names)
        self.compile_loss = compile_loss
        self.requested = _metrics_per_output(metrics, self.output_names)
        self.built = False

    def build(self, y_true_shapes, y_pred_shapes):
        """Create every metric (and its variables, on the active backend)."""
        self.loss_tracker = metrics_module.Mean(name="loss")
        self.output_loss_trackers = [metrics_module.Mean(name=name) for name in self.compile_loss.names]
        multi = len(self.output_names) > 1
        self.output_metrics = []
        for index, requested in enumerate(self.requested):
            built = []
            for identifier in requested:
                if isinstance(identifier, str) and identifier in ("accuracy", "acc"):
                    metric = metrics_module.resolve_accuracy(identifier, y_true_shapes[index], y_pred_shapes[index],
                                                             loss=self.compile_loss.losses[index])
                else:
                    metric = metrics_module.get(_fresh(identifier) if multi else identifier)
                    if isinstance(identifier, str):
                        metric.name = identifier
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
