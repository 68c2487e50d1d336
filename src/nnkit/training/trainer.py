"""Trainer: what compile() creates. It owns the step functions and runs fit/evaluate/predict loops
with callbacks and the progress bar; state lives in the model's Variables between steps."""
import functools

import numpy as np

from nnkit import optimizers as optimizers_module
from nnkit.backends import active
from nnkit.callbacks import CallbackList
from nnkit.layers.symbolic import flatten
from nnkit.random import host_rng, next_seed
from nnkit.training.compile_loss import CompileLoss
from nnkit.training.compile_metrics import CompileMetrics
from nnkit.training.data_adapter import ArrayData, flatten_named, named_items
from nnkit.training.steps import StepFunctions
from nnkit.tree import map_structure, signature


# Training data up to this size is copied to the device once per fit instead of batch by batch.
RESIDENT_LIMIT_BYTES = 4 * 2**30


class Trainer:
    """The compiled state of a model: backend, optimizer, loss, metrics and the step functions."""

    def __init__(self, model, backend, optimizer, loss, loss_weights, metrics, jit=True):
        self.model = model
        self.backend = backend
        self.jit = jit
        self.optimizer = None if optimizer is None else optimizers_module.get(optimizer)
        self.loss_spec, self.loss_weights, self.metrics_spec = loss, loss_weights, metrics
        self.steps = None
        self.key = backend.random_key(next_seed())
        self._checked_batch = None  # signature of the last batch that passed the checks unconverted

    # --- building on the first batch ---------------------------------------------------------------
    def _ensure_model(self, x):
        """Build the model (from the first two samples of `x`, for deferred shapes) and its predict function."""
        if self.steps is None:
            self.model._build_for_inputs([a[:2] for a in x])
            self.steps = StepFunctions(self.model, self.backend, self.jit)

    def _ensure_training(self, x, y):
        """Also build loss, metrics (now that target shapes are known), optimizer state and train/test steps."""
        self._ensure_model(x)
        if self.steps.train is not None:
            return
        model = self.model
        output_names = model.output_names
        self.compile_loss = CompileLoss(self.loss_spec, self.loss_weights, output_names)
        self.compile_metrics = CompileMetrics(self.metrics_spec, output_names, self.compile_loss)
        self.compile_metrics.build([tuple(t.shape) for t in y], model._output_shapes([a[:2] for a in x]))
        for variable in self.compile_metrics.variables:
            variable.move_to(self.backend)
        shapes = [v.shape for v in self.steps.trainable]
        if getattr(self.optimizer, "state", None) is None or getattr(self.optimizer, "_built_for", None) != shapes:
            self.optimizer.build([v.value for v in self.steps.trainable])
            self.optimizer._built_for = shapes
        self.log_names = self.compile_metrics.names
        self.metric_initial = [v.value for v in self.compile_metrics.variables]
        self.metric_values = list(self.metric_initial)
        self.steps.prepare_training(self.optimizer, self.compile_loss, self.compile_metrics)

    def move_optimizer_state(self, old_backend):
        """Carry optimizer state over to this backend after a recompile (bits unchanged, via the host)."""
        state = getattr(self.optimizer, "state", None)
        if state is not None and old_backend is not self.backend:
            self.optimizer.state = map_structure(lambda a: self.backend.asarray(old_backend.to_numpy(a)), state)

    def reset_metrics(self):
        self.metric_values = list(self.metric_initial)

    # --- single steps ---------------------------------------------------------------------------------
    def _device(self, arrays):
        """Batch arrays as the step functions take them: backend arrays, or host arrays left for the
        compiled step to copy in its own dispatch."""
        backend = self.backend
        if arrays is None or (self.jit and backend.jit_takes_host_arrays):
            return arrays
        return [a if backend.is_array(a) else backend.asarray(a) for a in arrays]

    def _train(self, step, *batch):
        """Run a train step on the variables' values and store the results; returns (logs, extra outputs)."""
        steps = self.steps
        trainable, non_trainable = steps.trainable, steps.non_trainable
        params = [v._value for v in trainable]
        state = [v._value for v in non_trainable]
        key = self.key if steps.uses_randomness else None  # no key in or out of steps that draw nothing
        params, state, opt_state, self.metric_values, key, logs, *extra = step(
            params, state, self.optimizer.state, self.metric_values, key, *batch)
        if key is not None:
            self.key = key
        for variable, value in zip(trainable, params):
            variable._value = value
        for variable, value in zip(non_trainable, state):
            variable._value = value
        self.optimizer.state = opt_state
        return self._in_order(logs), extra

    def train_batch(self, x, y, sample_weight):
        """One training step on a batch of host (or backend) arrays; returns the logs (backend scalars)."""
        sample_weight = None if sample_weight is None else self._device([sample_weight])[0]
        return self._train(self.steps.train, self._device(x), self._device(y), sample_weight)[0]

    def resident(self, data):
        """The training arrays uploaded to the device once per fit, or None where the backend computes in
        host memory already or the data is too large to keep on the device."""
        if self.backend.host_memory or data.nbytes > RESIDENT_LIMIT_BYTES:
            return None
        upload = self.backend.asarray
        return ([upload(a) for a in data.x], [upload(a) for a in data.y],
                None if data.sample_weight is None else upload(data.sample_weight))

    def epoch_steps(self, data, resident, batch_size, shuffle, rng):
        """The epoch's training steps, one zero-argument function per batch, each returning its logs.

        With resident data the epoch's sample order goes to the device once, as a matrix with one batch
        per row, and the row counter stays on the device: no step waits for a copy from the host."""
        if resident is None:
            for index in data.indices(batch_size, shuffle, rng):
                yield functools.partial(self.train_batch, *data.batch(index))
            return
        for rows in data.index_rows(batch_size, shuffle, rng):
            cursor = _RowCursor(self.backend.asarray(rows), self.backend.asarray(np.zeros((), np.int32)))
            for _ in range(len(rows)):
                yield functools.partial(self._train_next_row, resident, cursor)

    def _train_next_row(self, resident, cursor):
        logs, (cursor.position,) = self._train(self.steps.train_gathered, *resident, cursor.rows, cursor.position)
        return logs

    def _in_order(self, logs):
        """Logs in the order compile() defined them (JAX returns dicts with sorted keys)."""
        return {name: logs[name] for name in self.log_names}

    def test_batch(self, x, y, sample_weight):
        steps, backend = self.steps, self.backend
        params = [v._value for v in steps.trainable]
        state = [v._value for v in steps.non_trainable]
        sample_weight = None if sample_weight is None else backend.asarray(sample_weight)
        self.metric_values, logs = steps.test(params, state, self.metric_values, self._device(x), self._device(y),
                                              sample_weight)
        return self._in_order(logs)

    def predict_batch(self, x):
        steps = self.steps
        params = [v._value for v in steps.trainable]
        state = [v._value for v in steps.non_trainable]
        return steps.predict(params, state, self._device(x))

    # --- data ------------------------------------------------------------------------------------------
    def data(self, x, y=None, sample_weight=None, class_weight=None):
        model = self.model
        keep = self.backend.is_array
        xs = flatten_named(x, model._input_names_for(x), "x", keep)
        if y is not None and self.steps is None:
            with active.using(self.backend):
                self._ensure_model(xs)
        ys = None if y is None else flatten_named(y, model.output_names, "y", keep)
        model._check_input_shapes(xs)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float32).reshape(len(sample_weight), -1)[:, 0] \
                if np.ndim(sample_weight) > 1 else np.asarray(sample_weight, dtype=np.float32)
        data = ArrayData(xs, ys, sample_weight)
        return data if class_weight is None else data.weighted_by_class(class_weight)

    def batch(self, x, y=None, sample_weight=None):
        """data() for the one-batch calls (train_on_batch, make_train_function, ...), checked once per kind
        of batch: a batch with the signature of the last one that needed no conversion skips the checks."""
        batch_signature = signature((x, y, sample_weight))
        model = self.model
        if batch_signature == self._checked_batch:
            xs = named_items(x, model._input_names_for(x), "x")
            return ArrayData(xs, named_items(y, model.output_names, "y"), sample_weight, size=len(xs[0]))
        data = self.data(x, y, sample_weight)
        given = {id(value) for value in flatten((x, y, sample_weight))}
        self._checked_batch = batch_signature if all(id(a) in given for a in data.arrays) else None
        return data

    # --- loops ---------------------------------------------------------------------------------------------
    def fit(self, x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data, shuffle,
            sample_weight, class_weight, initial_epoch, validation_batch_size, validation_freq):
        model = self.model
        if y is None:
            raise ValueError("fit() needs targets: call fit(x, y) with y for the compiled loss.")
        data = self.data(x, y, sample_weight)
        validation = None
        if validation_data is not None:
            parts = tuple(validation_data)
            if len(parts) not in (2, 3):
                raise ValueError("validation_data must be (x_val, y_val) or (x_val, y_val, val_sample_weight).")
            validation = self.data(*parts)
        elif validation_split:
            data, validation = data.split(validation_split)
        if class_weight is not None:
            data = data.weighted_by_class(class_weight)
        with active.using(self.backend):
            self._ensure_training(data.x, data.y)
            steps_per_epoch = data.steps(batch_size)
            callback_list = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
                                         verbose=verbose, epochs=epochs, steps=steps_per_epoch)
            model.stop_training = False
            rng = host_rng()
            resident = self.resident(data)
            callback_list.on_train_begin()
            epoch_logs = {}
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callback_list.on_epoch_begin(epoch)
                logs = {}
                for step, train_step in enumerate(self.epoch_steps(data, resident, batch_size, shuffle, rng)):
                    callback_list.on_train_batch_begin(step)
                    logs = train_step()
                    callback_list.on_train_batch_end(step, logs)
                    if model.stop_training:
                        break
                epoch_logs = {name: float(value) for name, value in logs.items()}
                if validation is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._evaluate_data(validation, validation_batch_size or batch_size, callbacks=None,
                                                   verbose=0, own_progbar=False)
                    epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
                callback_list.on_epoch_end(epoch, epoch_logs)
                if model.stop_training:
                    break
            if getattr(self.optimizer, "use_ema", False):
                self.optimizer.finalize_variable_values(self.steps.trainable)
            callback_list.on_train_end(epoch_logs)
        return model.history

    def _evaluate_data(self, data, batch_size, callbacks, verbose, own_progbar=True):
        steps = data.steps(batch_size)
        callback_list = CallbackList(callbacks, add_history=False, add_progbar=own_progbar and verbose != 0,
                                     model=self.model, verbose=verbose, epochs=1, steps=steps)
        saved_metrics = self.metric_values
        self.reset_metrics()
        callback_list.on_test_begin()
        logs = {}
        for step, (xb, yb, swb) in enumerate(data.batches(batch_size)):
            callback_list.on_test_batch_begin(step)
            logs = self.test_batch(xb, yb, swb)
            callback_list.on_test_batch_end(step, logs)
        logs = {name: float(value) for name, value in logs.items()}
        callback_list.on_test_end(logs)
        self.metric_values = saved_metrics
        return logs

    def evaluate(self, x, y, batch_size, verbose, sample_weight, callbacks):
        if y is None:
            raise ValueError("evaluate() needs targets: call evaluate(x, y) with y for the compiled loss.")
        data = self.data(x, y, sample_weight)
        with active.using(self.backend):
            self._ensure_training(data.x, data.y)
            return self._evaluate_data(data, batch_size, callbacks, verbose)

    def predict(self, x, batch_size, verbose, callbacks):
        data = self.data(x)
        with active.using(self.backend):
            self._ensure_model(data.x)
            callback_list = CallbackList(callbacks, add_history=False, add_progbar=verbose != 0, model=self.model,
                                         verbose=verbose, epochs=1, steps=data.steps(batch_size))
            callback_list.on_predict_begin()
            batches = []
            for step, (xb, _, _) in enumerate(data.batches(batch_size)):
                callback_list.on_predict_batch_begin(step)
                outputs = self.predict_batch(xb)
                batches.append([self.backend.to_numpy(o) for o in outputs])
                callback_list.on_predict_batch_end(step, {"outputs": outputs})
            callback_list.on_predict_end()
        if not batches:
            raise ValueError("predict() received no samples.")
        merged = [np.concatenate([batch[i] for batch in batches]) for i in range(len(batches[0]))]
        return self.model._pack_outputs(merged)


class _RowCursor:
    """An epoch's index matrix on the device and the device-side number of the next row to train on."""

    def __init__(self, rows, position):
        self.rows, self.position = rows, position
