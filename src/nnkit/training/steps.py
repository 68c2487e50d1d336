"""The pure step functions of a compiled model, built once per compile.

Each is a function of (variable values, batch) that returns new values; nothing is mutated. On JAX
they are compiled with jax.jit (train step buffers donated); on eager backends they run as they are.
"""
from nnkit.layers.call_context import CallContext
from nnkit.ops import add, take
from nnkit.ops.variable import Assigned


class StepFunctions:
    """predict_step for a built model; train_step and test_step once loss, metrics and optimizer are known."""

    def __init__(self, model, backend, jit=True):
        self.model = model
        self.backend = backend
        self.compile = backend.jit if jit else (lambda fn, donate_argnums=(): fn)
        self.trainable = model.trainable_weights
        self.non_trainable = model.non_trainable_weights
        self.regularized = [(i, v.regularizer) for i, v in enumerate(self.trainable) if v.regularizer is not None]
        self.uses_randomness = model._uses_randomness()
        self.predict = self.compile(self.predict_step)
        self.train = self.test = None

    def prepare_training(self, optimizer, compile_loss, compile_metrics):
        """Build train_step and test_step (compiled on JAX, train buffers donated)."""
        self.optimizer = optimizer
        self.compile_loss = compile_loss
        self.compile_metrics = compile_metrics
        self.metric_variables = compile_metrics.variables
        self.train = self.compile(self.train_step, donate_argnums=(0, 1, 2))
        self.train_gathered = self.compile(self.train_gathered_step, donate_argnums=(0, 1, 2))
        self.test = self.compile(self.test_step)

    def _forward(self, params, state, x, training, key):
        """Outputs, new non-trainable values and added losses of one pure call of the model."""
        with Assigned(self.trainable + self.non_trainable, list(params) + list(state)) as scope, \
                CallContext(key) as context:
            outputs = self.model._forward(x, training)
            new_state = scope.current()[len(self.trainable):]
        return outputs, new_state, context.losses

    def _total_loss(self, params, y, outputs, sample_weight, added):
        """(compiled loss + weight regularization + losses added by layers, the per-output losses)."""
        loss, output_losses = self.compile_loss(y, outputs, sample_weight)
        for index, regularizer in self.regularized:
            loss = add(loss, regularizer(params[index]))
        for extra in added:
            loss = add(loss, extra)
        return loss, output_losses

    def _update_metrics(self, metric_values, y, outputs, sample_weight, loss, output_losses):
        with Assigned(self.metric_variables, metric_values) as scope:
            self.compile_metrics.update(y, outputs, sample_weight, loss, output_losses, outputs[0].shape[0])
            logs = self.compile_metrics.results()
            return scope.current(), logs

    def _split_key(self, key):
        if not self.uses_randomness:
            return key, None
        return self.backend.fold_in(key, 1), self.backend.fold_in(key, 0)

    def train_step(self, params, state, opt_state, metric_values, key, x, y, sample_weight):
        key, step_key = self._split_key(key)

        def loss_fn(trainable_values):
            outputs, new_state, added = self._forward(trainable_values, state, x, True, step_key)
            loss, output_losses = self._total_loss(trainable_values, y, outputs, sample_weight, added)
            return loss, (outputs, new_state, output_losses)

        (loss, (outputs, state, output_losses)), grads = self.backend.value_and_grad(loss_fn)(params)
        params, opt_state = self.optimizer.update(grads, opt_state, params)
        metric_values, logs = self._update_metrics(metric_values, y, outputs, sample_weight, loss, output_losses)
        return params, state, opt_state, metric_values, key, logs

    def train_gathered_step(self, params, state, opt_state, metric_values, key, x_all, y_all, weights_all, rows,
                            position):
        """train_step on the samples listed in row `position` of `rows`, gathered from arrays resident on the
        device; also returns position + 1, so that consecutive steps need nothing from the host."""
        index = take(rows, position, axis=0)

        def pick(array):
            return take(array, index, axis=0)

        outputs = self.train_step(params, state, opt_state, metric_values, key, [pick(a) for a in x_all],
                                  [pick(a) for a in y_all], None if weights_all is None else pick(weights_all))
        return (*outputs, add(position, 1))

    def test_step(self, params, state, metric_values, x, y, sample_weight):
        outputs, _, added = self._forward(params, state, x, False, None)
        loss, output_losses = self._total_loss(params, y, outputs, sample_weight, added)
        return self._update_metrics(metric_values, y, outputs, sample_weight, loss, output_losses)

    def predict_step(self, params, state, x):
        outputs, _, _ = self._forward(params, state, x, False, None)
        return outputs
