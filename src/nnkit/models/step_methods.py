"""Keras 3's trainer methods that a subclassed model overrides or calls to customise fit(): train_step,
test_step, predict_step, compute_loss, compute_metrics, get_metrics_result, the metrics property and
reset_metrics (the "customizing what happens in fit()" guides).

Two forms of a custom step, told apart by their arguments (nnkit.training.custom_steps drives them):
- stateful, `train_step(self, data)` (Keras' TensorFlow/PyTorch guides): calls `self(x, training=True)`,
  `self.compute_loss(...)`, takes gradients with `nnkit.ops.value_and_grad` over `self.trainable_variables`,
  updates with `self.optimizer.apply(grads, variables)` and metrics with `update_state`. It runs eagerly on
  every backend, op by op (on JAX too: not jitted).
- stateless, `train_step(self, state, data)` (Keras' JAX guide): `state` is (trainable values, non-trainable
  values, optimizer variables, metrics variables); it uses `self.stateless_call`, `nnkit.ops.value_and_grad`
  (or jax.value_and_grad on JAX), `self.optimizer.stateless_apply` and `metric.stateless_update_state`, and
  returns (logs, new state). It is compiled with jax.jit on JAX and runs eagerly on NumPy/CuPy.

The defaults below are the stateful form. fit() does not call them for a model that overrides none of the
steps (it runs its own pure, compiled step); they are what `super().train_step(data)` does.
"""
import warnings

from nnkit import ops
from nnkit.config import floatx
from nnkit.layers.symbolic import flatten
from nnkit.metrics.base import Metric
from nnkit.ops.variable import Assigned
from nnkit.training.compile_loss import CompileLoss
from nnkit.training.data_adapters.batch_structure import unpack_x_y_sample_weight


class StepMethods:
    """Mixed into Model: the Keras step API over the model's trainer (compiled loss and metrics)."""

    # --- the steps fit(), evaluate() and predict() call when a subclass overrides them ------------------------
    def train_step(self, data):
        """One stateful training step on `data` (x, (x, y) or (x, y, sample_weight)); returns the logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)

        def loss_and_prediction(_):
            y_pred = self(x, training=True)
            return self.compute_loss(x, y, y_pred, sample_weight, training=True), y_pred

        variables = self.trainable_variables
        (loss, y_pred), grads = ops.value_and_grad(loss_and_prediction, has_aux=True)(variables)
        self.optimizer.apply(grads, variables)
        self._track_loss(loss, x)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """Loss and metrics of one batch, weights unchanged; returns the logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        self._track_loss(self.compute_loss(x, y, y_pred, sample_weight, training=False), x)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's outputs for one batch."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # --- loss ----------------------------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of (y, y_pred) plus every term of `self.losses` (add_loss terms and weight
        regularization), as Keras 3 sums them; a clear error when there is nothing to sum."""
        terms = []
        compile_loss = self._compile_loss()
        if compile_loss is not None and y is not None and y_pred is not None:
            total, _ = compile_loss(flatten(y), flatten(y_pred), sample_weight)
            if total is not None:
                terms.append(total)
        for loss in self.losses:
            if not str(loss.dtype).startswith(("float", "bfloat")):
                loss = ops.cast(loss, floatx())
            terms.append(ops.sum(loss))
        if not terms:
            raise ValueError(f"No loss to compute for model '{self.name}': compile() was given no loss (or no "
                             f"targets y came with the data) and no layer added one. Pass e.g. compile(loss='mse').")
        total = terms[0]
        for term in terms[1:]:
            total = ops.add(total, term)
        return total

    def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, metrics_variables, x, y,
                                 sample_weight=None, training=False, optimizer_variables=None):
        """Keras' JAX-trainer helper for stateless steps, pure in the given values (for value_and_grad): (loss,
        (loss, y_pred, new non-trainable values, new metrics values)). compute_loss sees the given values, so
        weight regularization is differentiated too. (No loss scaling: `optimizer_variables` is unused.)"""
        y_pred, non_trainable_variables = self.stateless_call(trainable_variables, non_trainable_variables, x,
                                                              training=training)
        variables = self.trainable_variables + self.non_trainable_variables + self.metrics_variables
        values = list(trainable_variables) + list(non_trainable_variables) + list(metrics_variables)
        with Assigned(variables, values) as scope:
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=training)
            metrics_variables = scope.current()[len(values) - len(metrics_variables):]
        return loss, (loss, y_pred, non_trainable_variables, metrics_variables)

    def compiled_loss(self, y, y_pred, sample_weight=None, regularization_losses=None):
        """tf.keras 2's `self.compiled_loss(...)` in a custom train_step: compute_loss (deprecated in Keras 3)."""
        warnings.warn("`model.compiled_loss()` is deprecated. Instead, use "
                      "`model.compute_loss(x, y, y_pred, sample_weight)`.", stacklevel=2)
        return self.compute_loss(None, y, y_pred, sample_weight)

    def _compile_loss(self):
        """The CompileLoss of compile()'s loss argument (built on first use), or None before compile()."""
        trainer = self._trainer
        if trainer is None or trainer.optimizer is None:
            return None
        if getattr(trainer, "compile_loss", None) is None:
            trainer.compile_loss = CompileLoss(trainer.loss_spec, trainer.loss_weights, self.output_names)
        return trainer.compile_loss

    def _track_loss(self, loss, x):
        """Add one batch's loss to the compiled loss tracker (weighted by the batch size), once built."""
        compiled = self._built_compile_metrics()
        if compiled is not None:
            compiled.loss_tracker.update_state(loss, sample_weight=flatten(x)[0].shape[0])

    # --- metrics -------------------------------------------------------------------------------------------
    def _built_compile_metrics(self):
        compiled = getattr(self._trainer, "compile_metrics", None)
        return compiled if compiled is not None and compiled.built else None

    @property
    def metrics(self):
        """Keras' order: the compiled metrics (loss tracker first) once fit/evaluate has built them, then the
        metrics that are attributes of the model (trackers made in __init__ or compile)."""
        compiled = self._built_compile_metrics()
        found = list(compiled.all_metrics) if compiled is not None else []
        for value in vars(self).values():
            for candidate in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(candidate, Metric) and all(candidate is not known for known in found):
                    found.append(candidate)
        return found

    @property
    def metrics_names(self):
        return [metric.name for metric in self.metrics]

    @property
    def metrics_variables(self):
        """The state Variables of every metric in `metrics`, flat (the stateless step's metrics state)."""
        return [variable for metric in self.metrics for variable in metric.variables]

    def reset_metrics(self):
        """Put every metric of `metrics` back to its initial state (fit does at each epoch's start)."""
        trainer = self._trainer
        if trainer is not None and getattr(trainer, "metric_initial", None) is not None:
            trainer.reset_metrics()
        for metric in self.metrics:
            metric.reset_state()

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with one batch (the loss tracker is the step's to update) and return
        get_metrics_result()."""
        self._update_compiled_metrics(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def _update_compiled_metrics(self, y, y_pred, sample_weight):
        compiled = self._built_compile_metrics()
        if compiled is None or y is None:
            return
        for index, (target, prediction) in enumerate(zip(flatten(y), flatten(y_pred))):
            for metric in compiled.output_metrics[index]:
                metric.update_state(target, prediction)
            for metric in compiled.output_weighted_metrics[index]:
                metric.update_state(target, prediction, sample_weight=sample_weight)

    @property
    def compiled_metrics(self):
        """tf.keras 2's `self.compiled_metrics.update_state(y, y_pred, sample_weight)` in a custom train_step."""
        return _CompiledMetrics(self)

    def get_metrics_result(self):
        """{name: current result} of every metric in `metrics` (a metric returning a dict adds its entries)."""
        results = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                results.update(result)
            else:
                results[metric.name] = result
        return results


class _CompiledMetrics:
    """What `model.compiled_metrics` was in tf.keras 2: updates the metrics given to compile()."""

    def __init__(self, model):
        self._model = model

    def update_state(self, y, y_pred, sample_weight=None):
        self._model._update_compiled_metrics(y, y_pred, sample_weight)
