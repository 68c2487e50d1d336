"""The pure step functions of a compiled model, built once per compile.

Each is a function of (variable values, batch) that returns new values; nothing is mutated. On JAX
they are compiled with jax.jit (train step buffers donated); on eager backends they run as they are.
"""
from nnkit.distribution.replicas import Replicas
from nnkit.layers.call_context import CallContext
from nnkit.ops import add, cast, sum as ops_sum, take
from nnkit.ops.variable import Assigned
from nnkit.training.compile_loss import apply_mask


class StepFunctions:
    """predict_step for a built model; train_step and test_step once loss, metrics and optimizer are known."""

    def __init__(self, model, backend, jit=True, replicas=None):
        self.model = model
        self.backend = backend
        self.replicas = replicas or Replicas()  # the distribution seam: reduces gradients, state and metrics
        self.compile = backend.jit if jit else (lambda fn, donate_argnums=(): fn)
        self.trainable = model.trainable_weights
        self.non_trainable = model.non_trainable_variables
        self.regularized = [(i, v.regularizer) for i, v in enumerate(self.trainable) if v.regularizer is not None]
        self.constrained = [(i, v.constraint) for i, v in enumerate(self.trainable) if v.constraint is not None]
        self.uses_randomness = model._uses_randomness()
        # Stateful layers (RNNs) change their state in inference too: test and predict steps return it.
        self.keeps_inference_state = (any(getattr(layer, "stateful", False) for layer in model._nested_layers())
                                      or any(getattr(v, "seed_state", False) for v in self.non_trainable))
        self.predict = self.compile(self.predict_step)
        self.train = self.test = None

    def prepare_training(self, optimizer, compile_loss, compile_metrics):
        """Build train_step and test_step (compiled on JAX, train buffers donated)."""
        self.optimizer = optimizer
        self.compile_loss = compile_loss
        self.compile_metrics = compile_metrics
        self.metric_variables = compile_metrics.variables
        self.train = self.compile(self.train_step, donate_argnums=(0, 1, 2))
        self.gather_row = self.compile(self.gather_row_step)
        self.train_many = self.compile(self.train_many_step, donate_argnums=(0, 1, 2))
        self.test = self.compile(self.test_step)

    def _forward(self, params, state, x, training, key):
        """Outputs, new non-trainable values, added losses and output masks of one pure call of the model."""
        with Assigned(self.trainable + self.non_trainable, list(params) + list(state)) as scope, \
                CallContext(key) as context:
            outputs = self.model._forward(x, training)
            new_state = scope.current()[len(self.trainable):]
        return outputs, new_state, context.losses, context.output_masks

    def _total_loss(self, params, y, outputs, sample_weight, added, masks):
        """(compiled loss + weight regularization + losses added by layers, the per-output losses)."""
        loss, output_losses = self.compile_loss(y, outputs, sample_weight, masks)
        terms = [regularizer(params[index]) for index, regularizer in self.regularized] + list(added)
        if loss is None and not terms:
            raise ValueError(f"No loss to compute for model '{self.model.name}': compile() was given no loss and "
                             f"no layer added one (add_loss, regularizers). Pass e.g. compile(loss='mse').")
        for term in terms:
            loss = term if loss is None else add(loss, term)
        return loss, output_losses

    def _differentiated(self, loss, opt_state):
        """The loss the gradients are taken of: scaled by a loss-scaling optimizer (LossScaleOptimizer), else itself."""
        scale_loss = getattr(self.optimizer, "scale_loss", None)
        return loss if scale_loss is None else scale_loss(loss, opt_state)

    def _apply_constraints(self, params):
        """Keras' rule: each constrained weight is projected by its constraint after the optimizer update."""
        params = list(params)
        for index, constraint in self.constrained:
            params[index] = constraint(params[index])
        return params

    def _update_metrics(self, metric_values, y, outputs, sample_weight, loss, output_losses, masks, valid=None):
        count = _row_count(outputs, valid)
        with Assigned(self.metric_variables, metric_values) as scope:
            self.compile_metrics.update(y, outputs, sample_weight, loss, output_losses, count, masks)
            updated = scope.current()
            reduced = self.replicas.reduce_metrics(metric_values, updated)
            if reduced is not updated:  # other processes' updates added in
                scope.assign(reduced)
            return reduced, self.compile_metrics.results()

    def _split_key(self, key):
        if not self.uses_randomness:
            return key, None
        return self.backend.fold_in(key, 1), self.backend.fold_in(key, 0)

    def train_step(self, params, state, opt_state, metric_values, key, x, y, sample_weight, valid=None):
        """`valid` (padded batches only): 1 for real rows, 0 for padding, which counts nowhere."""
        key, step_key = self._split_key(key)

        def loss_fn(trainable_values):
            outputs, new_state, added, masks = self._forward(trainable_values, state, x, True, step_key)
            masks = _mask_padding(masks, valid, outputs)
            loss, output_losses = self._total_loss(trainable_values, y, outputs, sample_weight, added, masks)
            return self._differentiated(loss, opt_state), (loss, outputs, new_state, output_losses, masks)

        (_, (loss, outputs, state, output_losses, masks)), grads = self.backend.value_and_grad(loss_fn)(params)
        grads = self.replicas.reduce_gradients(grads, _row_count(outputs, valid))
        state = self.replicas.reduce_state(state)
        params, opt_state = self.optimizer.update(grads, opt_state, params)
        if self.constrained:
            params = self._apply_constraints(params)
        params = self.replicas.keep_placement(self.trainable, params)
        state = self.replicas.keep_placement(self.non_trainable, state)
        metric_values, logs = self._update_metrics(metric_values, y, outputs, sample_weight, loss, output_losses,
                                                   masks, valid)
        return params, state, opt_state, metric_values, key, logs

    def train_many_step(self, params, state, opt_state, metric_values, key, xs, ys, sample_weights):
        """train_step over several batches stacked on a leading axis, as one compiled call (Keras'
        steps_per_execution); returns the last batch's logs."""
        def one_batch(carry, batch):
            *carry, logs = self.train_step(*carry, *batch)
            return tuple(carry), logs

        carry, logs = self.backend.scan(one_batch, (params, state, opt_state, metric_values, key),
                                        (xs, ys, sample_weights))
        return (*carry, {name: value[-1] for name, value in logs.items()})

    def gather_row_step(self, x_all, y_all, weights_all, rows, position):
        """The batch of the samples listed in row `position` of `rows`, gathered from arrays resident on the
        device, and position + 1: consecutive steps need nothing from the host. Compiled apart from the
        train step, so that the train step compiles once per batch shape, whatever the data's length."""
        index = take(rows, position, axis=0)

        def pick(array):
            return take(array, index, axis=0)

        return ([pick(a) for a in x_all], [pick(a) for a in y_all],
                None if weights_all is None else pick(weights_all), add(position, 1))

    def test_step(self, params, state, metric_values, x, y, sample_weight, valid=None):
        outputs, new_state, added, masks = self._forward(params, state, x, False, None)
        masks = _mask_padding(masks, valid, outputs)
        loss, output_losses = self._total_loss(params, y, outputs, sample_weight, added, masks)
        metric_values, logs = self._update_metrics(metric_values, y, outputs, sample_weight, loss, output_losses, masks,
                                                   valid)
        return (metric_values, logs, new_state) if self.keeps_inference_state else (metric_values, logs)

    def predict_step(self, params, state, x):
        outputs, new_state, _, _ = self._forward(params, state, x, False, None)
        return (outputs, new_state) if self.keeps_inference_state else outputs


def _row_count(outputs, valid):
    """The batch's real rows: all of them, or those `valid` marks in a padded batch."""
    return outputs[0].shape[0] if valid is None else ops_sum(valid)


def _mask_padding(masks, valid, outputs):
    """Each output's Keras mask with the padding rows of a padded batch (valid == 0) masked out, so loss and
    metrics average over the real rows only, exactly as on the unpadded batch."""
    if valid is None:
        return masks
    return [cast(valid, output.dtype) if mask is None else apply_mask(valid, mask, output.dtype, "sum")
            for output, mask in zip(outputs, masks or [None] * len(outputs))]
