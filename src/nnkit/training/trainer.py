"""Trainer: what compile() creates. It owns the step functions and runs fit/evaluate/predict loops
with callbacks and the progress bar; state lives in the model's Variables between steps."""
import functools
import itertools

import numpy as np

from nnkit import optimizers as optimizers_module
from nnkit.backends import active
from nnkit.callbacks import CallbackList
from nnkit.distribution.active import distribution as default_distribution
from nnkit.layers.symbolic import flatten
from nnkit.ops import stack
from nnkit.random import host_rng, next_seed
from nnkit.training.compile_loss import CompileLoss
from nnkit.training.compile_metrics import CompileMetrics
from nnkit.training import input_checks
from nnkit.training.data_adapter import ArrayData, as_host_array, flatten_named, named_items
from nnkit.training import data_adapters
from nnkit.training.data_adapters import padding
from nnkit.training.data_adapters.batch_stream import BatchStream
from nnkit.training.host_logs import host_logs
from nnkit.training.steps import StepFunctions
from nnkit.tree import map_structure, signature


# Training data up to this size is copied to the device once per fit instead of batch by batch.
RESIDENT_LIMIT_BYTES = 4 * 2**30


def _ends_job_on_error(loop):
    """A loop (fit, evaluate, predict) whose error in one process of a distributed job ends every process
    (replicas.fail) instead of leaving the others waiting in a collective."""
    @functools.wraps(loop)
    def run(self, *args, **kwargs):
        try:
            return loop(self, *args, **kwargs)
        except Exception as error:
            self.replicas.fail(error)

    return run


class Trainer:
    """The compiled state of a model: backend, optimizer, loss, metrics and the step functions."""

    def __init__(self, model, backend, optimizer, loss, loss_weights, metrics, jit=True, weighted_metrics=None,
                 steps_per_execution=1, distribution=None):
        self.model = model
        self.backend = backend
        # The distribution seam: where weights and batches live, how replicas combine (nnkit.distribution).
        self.replicas = backend.replicas(default_distribution() if distribution is None else distribution)
        self.jit = jit
        self.steps_per_execution = _checked_steps_per_execution(steps_per_execution)
        self.optimizer = None if optimizer is None else optimizers_module.get(optimizer)
        if hasattr(self.optimizer, "attach_to"):
            self.optimizer.attach_to(model)
        self.loss_spec, self.loss_weights, self.metrics_spec = loss, loss_weights, metrics
        self.weighted_metrics_spec = weighted_metrics
        self.steps = None
        self.key = backend.random_key(next_seed())
        self._checked_batch = None  # signature of the last batch that passed the checks unconverted

    # --- building on the first batch ---------------------------------------------------------------
    def _ensure_model(self, x):
        """Build the model (from the first two samples of `x`, for deferred shapes) and its predict function."""
        if self.steps is None:
            self.model._build_for_inputs([a[:2] for a in x])
            self.steps = StepFunctions(self.model, self.backend, self.jit, self.replicas)
            self._place_weights()

    def _place_weights(self):
        """Start every process from process 0's weights, placed where the distribution keeps them."""
        variables = self.model.variables
        for variable, value in zip(variables, self.replicas.broadcast([v._value for v in variables])):
            variable._value = value
        self.replicas.place_weights(variables)

    def _ensure_training(self, x, y):
        """Also build loss, metrics (now that target shapes are known), optimizer state and train/test steps."""
        self._ensure_model(x)
        if self.steps.train is not None:
            return
        model = self.model
        output_names = model.output_names
        self.compile_loss = CompileLoss(self.loss_spec, self.loss_weights, output_names)
        self.compile_metrics = CompileMetrics(self.metrics_spec, output_names, self.compile_loss,
                                              self.weighted_metrics_spec)
        self.output_shapes = model._output_shapes([a[:2] for a in x])
        self.compile_metrics.build([tuple(t.shape) for t in y], self.output_shapes)
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

    def requires_targets(self, call):
        """Whether `call` ('fit()', 'evaluate()', ...) needs targets y: the compiled loss does."""
        return True

    # --- single steps ---------------------------------------------------------------------------------
    def _device(self, arrays):
        """Batch arrays as the step functions take them: backend arrays, or host arrays left for the
        compiled step to copy in its own dispatch."""
        if arrays is None:
            return arrays
        arrays = self.replicas.place_batch(arrays)
        if self.jit and self.backend.jit_takes_host_arrays:
            return arrays
        return self._on_backend(arrays)

    def _on_backend(self, arrays):
        """The arrays as this backend's arrays (host ones copied there)."""
        backend = self.backend
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

    def train_batch(self, x, y, sample_weight, valid=None):
        """One training step on a batch of host (or backend) arrays; returns the logs (backend scalars).
        `valid` marks the real rows of a padded batch (see `padded`)."""
        sample_weight = None if sample_weight is None else self._device([sample_weight])[0]
        return self._train(self.steps.train, self._device(x), self._device(y), sample_weight,
                           *self._padding_mask(valid))[0]

    def _padding_mask(self, valid):
        """The step's trailing `valid` argument: none for an unpadded batch (the step compiled for those)."""
        return () if valid is None else tuple(self._device([valid]))

    def pads(self, training):
        """Whether a short batch is padded to the full batch size: where the backend compiles a step per batch
        shape (JAX), unless padding rows would change the numbers of the real ones (batch statistics in
        training, stateful layers' per-row states, activity regularizers' sums over the batch)."""
        if not self.jit or self.backend.uses_tape or self.steps.keeps_inference_state:
            return False
        layers = self.model._nested_layers()
        if any(getattr(layer, "activity_regularizer", None) is not None for layer in layers):
            return False
        return not (training and any(layer.mixes_batch_rows_in_training for layer in layers))

    def padded(self, x, y, sample_weight, size, training):
        """(x, y, sample_weight, valid): the batch padded to `size` rows where that saves a compile, with
        `valid` marking its real rows; else the batch itself and valid None."""
        if len(x[0]) >= size or not self.pads(training) or not padding.can_pad(x + (y or [])):
            return x, y, sample_weight, None
        return padding.pad_batch(x, y, sample_weight, size)

    def resident(self, data):
        """The training arrays uploaded to the device once per fit, or None where the backend computes in
        host memory already or the data is too large to keep on the device."""
        if self.backend.host_memory or not self.replicas.single_device or data.nbytes > RESIDENT_LIMIT_BYTES:
            return None
        upload = self.backend.asarray
        return ([upload(a) for a in data.x], [upload(a) for a in data.y],
                None if data.sample_weight is None else upload(data.sample_weight))

    def epoch_steps(self, data, resident, batch_size, shuffle, rng, limit=None):
        """The epoch's training executions: (index of its last batch, zero-argument function returning the
        logs), one batch each, or `steps_per_execution` batches in one compiled call where the backend compiles;
        over the first `limit` batches (steps_per_epoch), if given.

        With resident data the epoch's sample order goes to the device once, as a matrix with one batch
        per row, and the row counter stays on the device: no step waits for a copy from the host."""
        group = (self.steps_per_execution if self.jit and not self.backend.uses_tape and self.replicas.single_device
                 else 1)
        if resident is not None:
            yield from self._resident_steps(data, resident, batch_size, shuffle, rng, group, limit)
            return
        if isinstance(data, BatchStream):
            batches = data.epoch()  # its adapter stops at steps_per_epoch, then ends the epoch (on_epoch_end)
        else:
            batches = (self.padded(*data.batch(index), batch_size, True)
                       for index in itertools.islice(self._batch_indices(data, batch_size, shuffle, rng), limit))
        pending = []
        for step, batch in enumerate(batches):
            if group > 1 and batch[3] is None:
                pending.append(batch)
                if len(pending) == group:
                    yield step, functools.partial(self._train_stacked, pending)
                    pending = []
                continue
            if pending:  # a short batch ends the group early
                yield step - 1, functools.partial(self._train_stacked, pending)
                pending = []
            yield step, functools.partial(self.train_batch, *batch)
        if pending:
            yield step, functools.partial(self._train_stacked, pending)

    def _resident_steps(self, data, resident, batch_size, shuffle, rng, group, limit):
        """epoch_steps on resident data: whole groups of rows per execution, then the rows left one by one."""
        step = 0
        zero = np.zeros((), np.int32)
        for rows in _first_rows(data.index_rows(batch_size, shuffle, rng), limit):
            valid = None
            if rows.shape[1] < batch_size and self.pads(True):
                rows, valid = padding.pad_index_row(rows, batch_size)
            whole = len(rows) - len(rows) % group if group > 1 else 0
            if whole:
                blocks = rows[:whole].reshape(-1, group, rows.shape[1])
                cursor = _RowCursor(self.backend.asarray(blocks), self.backend.asarray(zero))
                for _ in range(len(blocks)):
                    step += group
                    yield step - 1, functools.partial(self._train_next_rows, resident, cursor)
            if whole < len(rows):
                cursor = _RowCursor(self.backend.asarray(rows[whole:]), self.backend.asarray(zero))
                for _ in range(len(rows) - whole):
                    step += 1
                    yield step - 1, functools.partial(self._train_next_row, resident, cursor, valid)

    def _train_next_row(self, resident, cursor, valid):
        *batch, cursor.position = self.steps.gather_row(*resident, cursor.rows, cursor.position)
        return self._train(self.steps.train, *batch, *self._padding_mask(valid))[0]

    def _train_next_rows(self, resident, cursor):
        *batches, cursor.position = self.steps.gather_row(*resident, cursor.rows, cursor.position)
        return self._train(self.steps.train_many, *batches)[0]

    def _train_stacked(self, batches):
        """Several (x, y, sample_weight, None) batches in one compiled call, or one by one where their shapes differ."""
        kinds = {(tuple(a.shape for a in x), tuple(a.shape for a in y), sw is None) for x, y, sw, _ in batches}
        if len(kinds) > 1 or len(batches) == 1:
            return [self.train_batch(*batch) for batch in batches][-1]
        xs = [stack([batch[0][i] for batch in batches]) for i in range(len(batches[0][0]))]
        ys = [stack([batch[1][i] for batch in batches]) for i in range(len(batches[0][1]))]
        weights = None if batches[0][2] is None else stack([batch[2] for batch in batches])
        return self._train(self.steps.train_many, xs, ys, weights)[0]

    def _in_order(self, logs):
        """Logs in the order compile() defined them (JAX returns dicts with sorted keys)."""
        return {name: logs[name] for name in self.log_names}

    def test_batch(self, x, y, sample_weight, valid=None):
        steps, backend = self.steps, self.backend
        params = [v._value for v in steps.trainable]
        state = [v._value for v in steps.non_trainable]
        sample_weight = None if sample_weight is None else self._device([sample_weight])[0]
        self.metric_values, logs, *new_state = steps.test(params, state, self.metric_values, self._device(x),
                                                          self._device(y), sample_weight, *self._padding_mask(valid))
        if new_state:
            self._keep_state(new_state[0])
        return self._in_order(logs)

    def _keep_state(self, state):
        """Store the non-trainable values a test/predict step returned (stateful layers' new states)."""
        for variable, value in zip(self.steps.non_trainable, state):
            variable._value = value

    def predict_batch(self, x):
        steps = self.steps
        params = [v._value for v in steps.trainable]
        state = [v._value for v in steps.non_trainable]
        if not steps.keeps_inference_state:
            return steps.predict(params, state, self._device(x))
        outputs, new_state = steps.predict(params, state, self._device(x))
        self._keep_state(new_state)
        return outputs

    # --- data ------------------------------------------------------------------------------------------
    def data(self, x, y=None, sample_weight=None, class_weight=None, call="fit()"):
        """The checked host data of one call (`call` names it in errors)."""
        model = self.model
        keep = self.backend.is_array
        self.check_placement()
        input_checks.check_present(x, "x", call)
        input_names = model._input_names_for(x)
        input_checks.check_array_count(x, input_names, "x")
        xs = flatten_named(x, input_names, "x", keep)
        if y is not None and self.steps is None:
            with active.using(self.backend):
                self._ensure_model(xs)
        if y is not None:
            input_checks.check_array_count(y, model.output_names, "y")
        ys = None if y is None else flatten_named(y, model.output_names, "y", keep)
        model._check_input_shapes(xs)
        if sample_weight is not None:
            sample_weight = as_host_array(sample_weight, "sample_weight").astype(np.float32, copy=False)
            if sample_weight.ndim > 1:
                sample_weight = sample_weight.reshape(len(sample_weight), -1)[:, 0]
        data = ArrayData(xs, ys, sample_weight)
        input_checks.check_not_empty(data.size, call)
        if class_weight is None:
            return data
        input_checks.check_class_weight(class_weight)
        return data.weighted_by_class(class_weight)

    def check_placement(self):
        """Every weight must live on this trainer's backend (a layer shared with a model compiled for another
        backend has been moved there)."""
        for variable in self.model.variables:
            if variable.backend is not self.backend:
                raise ValueError(
                    f"Model '{self.model.name}' is compiled for the {self.backend.name} backend, but its weight "
                    f"'{variable.path}' lives on the {variable.backend.name} backend: a layer shared by models "
                    f"compiled for different backends can train on only one of them. Compile the models that "
                    f"share layers with the same backend.")

    def check_values(self, data):
        """NaN/inf in the in-memory arrays, and sparse labels outside the classes (needs the built loss)."""
        if not input_checks.value_checks_enabled():
            return
        input_checks.check_finite(data.x, "x")
        input_checks.check_finite(data.y or [], "y")
        if data.sample_weight is not None:
            input_checks.check_finite([data.sample_weight], "sample_weight")
        names = self.model.output_names
        for name, loss, labels, shape in zip(names, self.compile_loss.losses, data.y, self.output_shapes):
            if loss is None or not getattr(loss, "integer_labels", False):
                continue
            num_classes = shape[getattr(loss, "axis", -1)]
            if num_classes is not None:
                input_checks.check_class_labels(labels, num_classes, "y" if len(names) == 1 else f"y['{name}']",
                                                getattr(loss, "ignore_class", None))

    def batch(self, x, y=None, sample_weight=None, call="train_on_batch()"):
        """data() for the one-batch calls (train_on_batch, make_train_function, ...), checked once per kind
        of batch: a batch with the signature of the last one that needed no conversion skips the checks."""
        batch_signature = signature((x, y, sample_weight))
        model = self.model
        if batch_signature == self._checked_batch:
            xs = named_items(x, model._input_names_for(x), "x")
            return ArrayData(xs, named_items(y, model.output_names, "y"), sample_weight, size=len(xs[0]))
        data = self.data(x, y, sample_weight, call=call)
        given = {id(value) for value in flatten((x, y, sample_weight))}
        self._checked_batch = batch_signature if all(id(a) in given for a in data.arrays) else None
        return data

    # --- loops ---------------------------------------------------------------------------------------------
    @_ends_job_on_error
    def fit(self, x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data, shuffle,
             sample_weight, class_weight, initial_epoch, validation_batch_size, validation_freq, steps_per_epoch=None,
             validation_steps=None):
        model = self.model
        input_checks.check_fit_arguments(epochs, initial_epoch, validation_freq)
        rng = host_rng()
        x, y, sample_weight = data_adapters.unpack_tuple_data(x, y, sample_weight, "fit(x=...)")
        if class_weight is not None:
            input_checks.check_class_weight(class_weight)
        data = self.stream(x, y, sample_weight, steps_per_epoch, shuffle, rng, "fit()", True, class_weight)
        if data is None:
            if y is None and self.requires_targets("fit()"):
                raise ValueError("fit() needs targets: call fit(x, y) with y for the compiled loss.")
            data = self.data(x, y, sample_weight)
        elif validation_split:
            raise ValueError("validation_split needs in-memory arrays; with a generator, PyDataset or DataLoader "
                             "pass validation_data instead.")
        validation = None
        if validation_data is not None:
            validation = self.validation(validation_data, validation_steps)
        elif validation_split:
            data, validation = data.split(validation_split)
        if class_weight is not None and isinstance(data, ArrayData):
            data = data.weighted_by_class(class_weight)
        with active.using(self.backend):
            first = data.first()
            self._ensure_training(first.x, first.y)
            for arrays in (data, validation):
                if isinstance(arrays, ArrayData):
                    self.check_values(arrays)
            steps_per_epoch = _at_most(data.steps(batch_size), steps_per_epoch)
            callback_list = CallbackList(callbacks, add_history=True,
                                         add_progbar=verbose != 0 and self.replicas.is_chief, model=model,
                                         verbose=verbose, epochs=epochs, steps=steps_per_epoch)
            model.stop_training = False
            resident = self.resident(data) if isinstance(data, ArrayData) else None
            callback_list.on_train_begin()
            initial_epoch = getattr(model, "_initial_epoch", None) or initial_epoch  # BackupAndRestore's resume
            model._initial_epoch = None
            epoch_logs = {}
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callback_list.on_epoch_begin(epoch)
                logs = {}
                for step, train_step in self.epoch_steps(data, resident, batch_size, shuffle, rng, steps_per_epoch):
                    callback_list.on_train_batch_begin(step)
                    logs = train_step()
                    callback_list.on_train_batch_end(step, logs)
                    if model.stop_training:
                        break
                epoch_logs = host_logs(logs, self.backend)
                if validation is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._evaluate_data(validation, validation_batch_size or batch_size, callbacks=None,
                                                   verbose=0, own_progbar=False, callback_list=callback_list,
                                                   limit=validation_steps)
                    epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
                callback_list.on_epoch_end(epoch, epoch_logs)
                if model.stop_training:
                    break
            if getattr(self.optimizer, "use_ema", False):
                self.optimizer.finalize_variable_values(self.steps.trainable)
            callback_list.on_train_end(epoch_logs)
        return model.history

    def stream(self, x, y, sample_weight, steps, shuffle, rng, call, training, class_weight=None):
        """A BatchStream over `x` where it is served batch by batch (generator, PyDataset, DataLoader), else None.
        Its batches are checked like arrays, padded to the first batch's size and uploaded ahead of use."""
        if not data_adapters.is_stream(x):
            return None
        adapter = data_adapters.get_data_adapter(x, y, sample_weight, steps, shuffle, rng, call)
        needs_targets = call != "predict()" and self.requires_targets(call)

        def convert(raw):
            xb, yb, swb = data_adapters.unpack_batch(raw, adapter.name)
            if needs_targets and yb is None:
                raise ValueError(f"{call} needs targets, but {adapter.name} yielded a batch without them: yield "
                                 f"(x, y) or (x, y, sample_weight) tuples.")
            if call == "predict()" or yb is None:
                return self.data(xb, call=call)
            return self.data(xb, yb, swb, class_weight, call=call)

        def prepare(data):
            xb, yb, swb, valid = self.padded(data.x, data.y, data.sample_weight, stream.batch_size, training)
            return self._upload(xb), self._upload(yb), swb if swb is None else self._upload([swb])[0], valid

        stream = BatchStream(adapter, convert, prepare)
        return stream

    def _upload(self, arrays):
        """Host arrays copied to the device (on the prefetch thread, ahead of their step) where it has its own memory."""
        if arrays is None or self.backend.host_memory:
            return arrays
        return self._on_backend(arrays)

    def validation(self, validation_data, validation_steps):
        """fit(validation_data=...): (x_val, y_val[, val_sample_weight]) arrays or any streamed form."""
        call = "fit(validation_data=...)"
        stream = self.stream(validation_data, None, None, validation_steps, False, None, call, False)
        if stream is not None:
            return stream
        parts = tuple(validation_data)
        if len(parts) not in (2, 3):
            raise ValueError("validation_data must be (x_val, y_val) or (x_val, y_val, val_sample_weight), a "
                             "generator, a PyDataset or a DataLoader.")
        return self.data(*parts, call=call)

    def _batch_indices(self, data, batch_size, shuffle=False, rng=None):
        """Each global batch's sample indices for this process: the whole batch, or in a multi-process job this
        process's share of it."""
        self.replicas.check_batch_size(batch_size)
        if self.replicas.process_count == 1:
            return data.indices(batch_size, shuffle, rng)
        return (row for rows in data.index_rows(batch_size, shuffle, rng) for row in self.replicas.local_rows(rows))

    def batches(self, data, batch_size, training=False, steps=None, whole=False):
        """(x, y, sample_weight, valid) batches in order: a stream's epoch, or in-memory data's (the first
        `steps` of them, if given), short ones padded; this process's share of each, or with `whole` (predict)
        every row."""
        if isinstance(data, BatchStream):
            return data.epoch()
        indices = data.indices(batch_size) if whole else self._batch_indices(data, batch_size)
        indices = itertools.islice(indices, steps)
        return (self.padded(*data.batch(index), batch_size, training) for index in indices)

    def _evaluate_data(self, data, batch_size, callbacks, verbose, own_progbar=True, callback_list=None, limit=None):
        """Loss and metrics over `data` (its first `limit` batches, if given); fit's validation passes its own
        callback list, whose callbacks get the on_test_* calls as in Keras."""
        steps = _at_most(data.steps(batch_size), limit)
        if callback_list is None:
            callback_list = CallbackList(callbacks, add_history=False,
                                         add_progbar=own_progbar and verbose != 0 and self.replicas.is_chief,
                                         model=self.model, verbose=verbose, epochs=1, steps=steps)
        saved_metrics = self.metric_values
        self.reset_metrics()
        callback_list.on_test_begin()
        logs = {}
        for step, batch in enumerate(self.batches(data, batch_size, steps=limit)):
            callback_list.on_test_batch_begin(step)
            logs = self.test_batch(*batch)
            callback_list.on_test_batch_end(step, logs)
        logs = host_logs(logs, self.backend)
        callback_list.on_test_end(logs)
        self.metric_values = saved_metrics
        return logs

    @_ends_job_on_error
    def evaluate(self, x, y, batch_size, verbose, sample_weight, callbacks, steps=None):
        x, y, sample_weight = data_adapters.unpack_tuple_data(x, y, sample_weight, "evaluate(x=...)")
        data = self.stream(x, y, sample_weight, steps, False, None, "evaluate()", False)
        if data is None:
            if y is None and self.requires_targets("evaluate()"):
                raise ValueError("evaluate() needs targets: call evaluate(x, y) with y for the compiled loss.")
            data = self.data(x, y, sample_weight, call="evaluate()")
        with active.using(self.backend):
            first = data.first()
            self._ensure_training(first.x, first.y)
            if isinstance(data, ArrayData):
                self.check_values(data)
            return self._evaluate_data(data, batch_size, callbacks, verbose, limit=steps)

    @_ends_job_on_error
    def predict(self, x, batch_size, verbose, callbacks, steps=None):
        data = self.stream(x, None, None, steps, False, None, "predict()", False) or self.data(x, call="predict()")
        with active.using(self.backend):
            self._ensure_model(data.first().x)
            callback_list = CallbackList(callbacks, add_history=False,
                                         add_progbar=verbose != 0 and self.replicas.is_chief, model=self.model,
                                         verbose=verbose, epochs=1, steps=_at_most(data.steps(batch_size), steps))
            callback_list.on_predict_begin()
            batches = []
            for step, (xb, _, _, valid) in enumerate(self.batches(data, batch_size, steps=steps, whole=True)):
                callback_list.on_predict_batch_begin(step)
                outputs = self.predict_batch(xb)
                count = len(xb[0]) if valid is None else int(valid.sum())
                batches.append([self.backend.to_numpy(o)[:count] for o in outputs])
                callback_list.on_predict_batch_end(step, {"outputs": outputs})
            callback_list.on_predict_end()
        if not batches:
            raise ValueError("predict() received no samples.")
        merged = [np.concatenate([batch[i] for batch in batches]) for i in range(len(batches[0]))]
        return self.model._pack_outputs(merged)


def _at_most(count, steps):
    """The batches a call runs: `count`, or fewer where `steps` (steps_per_epoch, steps) says so."""
    return count if steps is None or count is None else min(count, steps)


def _checked_steps_per_execution(value):
    """compile(steps_per_execution=...): a positive number of batches, or Keras' 'auto' (here 1)."""
    if value == "auto":
        return 1
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"compile(steps_per_execution=...) must be a positive number of batches, received {value!r}.")
    return int(value)


def _first_rows(matrices, limit):
    """Index matrices (one batch per row) cut to their first `limit` rows in all; all of them if limit is None."""
    if limit is None:
        return matrices
    kept = []
    for rows in matrices:
        if limit <= 0:
            break
        kept.append(rows[:limit])
        limit -= len(rows)
    return kept


class _RowCursor:
    """An epoch's index matrix on the device and the device-side number of the next row to train on."""

    def __init__(self, rows, position):
        self.rows, self.position = rows, position
