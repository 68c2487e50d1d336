"""The metrics a compiled model reports: a loss tracker, per-output loss trackers and user metrics."""
import copy

from nnkit import metrics as metrics_module
from nnkit.training.compile_loss import _per_output, apply_mask


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
    'accuracy' into binary, categorical or sparse categorical accuracy).

    Keras' weighting rule: `metrics` ignore sample and class weights, `weighted_metrics` are weighted by
    them; an output's Keras mask weighs both."""

    def __init__(self, metrics, output_names, compile_loss, weighted_metrics=None):
        self.output_names = list(output_names)
        self.compile_loss = compile_loss
        self.requested = _metrics_per_output(metrics, self.output_names)
        self.requested_weighted = _metrics_per_output(weighted_metrics, self.output_names)
        self.built = False

    def build(self, y_true_shapes, y_pred_shapes):
        """Create every metric (and its variables, on the active backend)."""
        self.loss_tracker = metrics_module.Mean(name="loss")
        self.output_loss_trackers = [metrics_module.Mean(name=name) for name in self.compile_loss.names]
        self.output_metrics = self._build_set(self.requested, y_true_shapes, y_pred_shapes, taken=())
        taken = {self.loss_tracker.name, *self.compile_loss.names, *(m.name for g in self.output_metrics for m in g)}
        self.output_weighted_metrics = self._build_set(self.requested_weighted, y_true_shapes, y_pred_shapes, taken)
        self.built = True

    def _build_set(self, requested_per_output, y_true_shapes, y_pred_shapes, taken):
        """One list of built metrics per output; a weighted metric whose name is taken is logged as
        'weighted_<name>' (Keras 3's naming)."""
        multi = len(self.output_names) > 1
        built_set = []
        for index, requested in enumerate(requested_per_output):
            built = []
            for identifier in requested:
                if isinstance(identifier, str) and identifier in ("accuracy", "acc"):
                    metric = metrics_module.resolve_accuracy(identifier, y_true_shapes[index], y_pred_shapes[index],
                                                             loss=self.compile_loss.losses[index])
                else:
                    metric = metrics_module.get(_fresh(identifier) if multi else identifier)
                    if isinstance(identifier, str):
                        metric.name = identifier
                prefix = f"{self.output_names[index]}_" if multi else ""
                if prefix + metric.name in taken:
                    metric.name = f"weighted_{metric.name}"
                metric.name = prefix + metric.name
                if callable(getattr(metric, "build", None)):  # state shaped by the data (F1Score, R2Score)
                    metric.build(y_true_shapes[index], y_pred_shapes[index])
                built.append(metric)
            built_set.append(built)
        return built_set

    @property
    def all_metrics(self):
        return [self.loss_tracker, *self.output_loss_trackers,
                *(m for group in self.output_metrics for m in group),
                *(m for group in self.output_weighted_metrics for m in group)]

    @property
    def variables(self):
        return [v for metric in self.all_metrics for v in metric.variables]

    @property
    def names(self):
        return [metric.name for metric in self.all_metrics]

    def update(self, y_true, y_pred, sample_weight, loss, output_losses, batch_size, masks=None):
        """Update every metric from one batch (inside a pure step, through Variable.assign); an output's
        Keras mask weighs its entries (masked ones count zero), as in Keras 3."""
        self.loss_tracker.update_state(loss, sample_weight=batch_size)
        for tracker, value in zip(self.output_loss_trackers, output_losses):
            tracker.update_state(value, sample_weight=batch_size)
        masks = masks or [None] * len(y_pred)
        for index, (target, prediction, mask) in enumerate(zip(y_true, y_pred, masks)):
            unweighted = apply_mask(None, mask, prediction.dtype, "sum")
            for metric in self.output_metrics[index]:
                metric.update_state(target, prediction, sample_weight=unweighted)
            if self.output_weighted_metrics[index]:
                weights = apply_mask(sample_weight, mask, prediction.dtype, "sum")
                for metric in self.output_weighted_metrics[index]:
                    metric.update_state(target, prediction, sample_weight=weights)

    def results(self):
        """{name: scalar} for the current state."""
        return {metric.name: metric.result() for metric in self.all_metrics}
