"""Model: a layer that can be compiled to a backend and trained (Keras' compile/fit/evaluate/predict).

`Model(inputs, outputs)` builds a functional graph; subclassing Model and writing `call` gives a
subclassed model. Both share the training machinery in nnkit.training; a subclass may customise fit() by
overriding train_step/test_step/predict_step (Keras' step API: nnkit.models.step_methods).
"""
import functools

import numpy as np

from nnkit.backends import active, get_backend
from nnkit.keywords import reject_unknown
from nnkit.layers import call_context
from nnkit.layers.layer import Layer
from nnkit.layers.symbolic import SymbolicTensor, flatten
from nnkit.models.step_methods import StepMethods
from nnkit.ops.tape import Tracer
from nnkit.ops.variable import logging_assignments
from nnkit.training.data_adapter import as_host_array
from nnkit.training.host_logs import host_logs
from nnkit.training.input_checks import check_batch_size
from nnkit.training.limits import capped_epochs, capped_steps
from nnkit.tree import signature


class Model(StepMethods, Layer):
    """A trainable graph of layers. See Sequential and the functional API for the usual ways to make one."""

    _casts_call_dtypes = False  # its layers cast to their own compute dtypes (Keras' functional models)

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from nnkit.models.functional import Functional

            return object.__new__(Functional)
        return object.__new__(cls)

    def __init__(self, name=None, trainable=True, **kwargs):
        if _functional_arguments(name, trainable, kwargs):  # CustomModel(inputs, outputs), as Keras' guides do
            self._become_functional(name, trainable, kwargs)
            return
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._trainer = None
        self._placed_on = None
        self._checked_call = None
        self.optimizer = None
        self.stop_training = False
        self.history = None

    def _become_functional(self, first, second, kwargs):
        """A subclass of Model given (inputs, outputs): Keras makes it a functional model of that class (its
        train_step and other methods kept), by putting Functional among its bases."""
        from nnkit.models.functional import Functional

        if "inputs" in kwargs:
            inputs, outputs = kwargs.pop("inputs"), kwargs.pop("outputs")
            kwargs.update(name=first, trainable=second)
        elif "outputs" in kwargs:
            inputs, outputs = first, kwargs.pop("outputs")
            kwargs["trainable"] = second
        else:
            inputs, outputs = first, second
        if not isinstance(self, Functional):
            self.__class__ = _functional_subclass(type(self))
        Functional.__init__(self, inputs, outputs, **kwargs)

    # --- structure -------------------------------------------------------------------------------------
    @property
    def layers(self):
        return list(self._tracked_layers)

    def get_layer(self, name=None, index=None):
        """The layer called `name`, or at position `index` in `layers`."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Model '{self.name}' has {len(self.layers)} layers; index {index} is out of range.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No layer named '{name}' in model '{self.name}'. Layers: {[l.name for l in self.layers]}.")

    def _uses_randomness(self):
        return any(getattr(layer, "uses_randomness", False) for layer in self._nested_layers())

    @property
    def output_names(self):
        count = getattr(self, "_output_count", 1)
        return ["output"] if count == 1 else [f"output_{i + 1}" for i in range(count)]

    def _input_names_for(self, x):
        if isinstance(x, dict):
            return list(x)
        if isinstance(x, (list, tuple)):
            return [f"input_{i + 1}" for i in range(len(x))]
        return ["input"]

    def _check_input_shapes(self, xs):
        """Subclassed models learn their input shapes from data; functional ones check them."""

    def _flatten_inputs(self, inputs):
        return flatten(inputs)

    def _pack_inputs(self, flat):
        return flat[0] if len(flat) == 1 else list(flat)

    def _pack_outputs(self, flat):
        return flat[0] if len(flat) == 1 else list(flat)

    def _forward(self, flat_inputs, training):
        """Run the model on a flat list of backend arrays; returns the flat list of outputs."""
        outputs = self.call(self._pack_inputs(flat_inputs), **self._training_kwargs(training))
        flat = flatten(outputs)
        self._output_count = len(flat)
        return flat

    def _build_for_inputs(self, host_inputs):
        """Create the weights by running one small batch through the model, if not built yet."""
        if getattr(self, "_output_count", None) is not None:
            return
        backend = active.backend
        with call_context.CallContext():
            self._forward([backend.asarray(a) for a in host_inputs], False)
        self.built = True

    def _output_shapes(self, host_inputs):
        backend = active.backend
        with call_context.CallContext():
            outputs = self._forward([backend.asarray(a) for a in host_inputs], False)
        return [(None,) + tuple(o.shape[1:]) for o in outputs]

    # --- calling -----------------------------------------------------------------------------------------
    @property
    def backend(self):
        """The backend the model computes on: the compiled one, else the one an enclosing model placed it on
        (a GAN's generator, compiled with the GAN), else the default."""
        if self._trainer is not None:
            return self._trainer.backend
        return self._placed_on if self._placed_on is not None else get_backend()

    def _place_on(self, backend):
        if self._placed_on is not backend:
            for variable in self.variables:
                variable.move_to(backend)
            self._placed_on = backend
            for layer in self._nested_layers():
                if isinstance(layer, Model) and layer._trainer is None:
                    layer._placed_on = backend

    def __call__(self, inputs, *args, **kwargs):
        symbolic = (isinstance(inputs, SymbolicTensor) if not isinstance(inputs, (list, tuple, dict))
                    else any(isinstance(t, SymbolicTensor) for t in flatten(inputs)))
        if call_context.inside_call() or symbolic:
            return super().__call__(inputs, *args, **kwargs)
        backend = self.backend
        with active.using(backend):
            self._place_on(backend)
            if not args and set(kwargs) <= {"training"} and not backend.uses_tape and not kwargs.get("training") \
                    and not getattr(self._trainer, "eager_calls", False) and not logging_assignments():
                return self._call_compiled(inputs)
            inputs = _on_backend(inputs, backend)
            with call_context.CallContext() as context:
                if not args and set(kwargs) <= {"training"} and self.built:
                    outputs = self.call(inputs, **self._training_kwargs(bool(kwargs.get("training"))))
                else:
                    outputs = super().__call__(inputs, *args, **kwargs)
            call_context.keep_layer_losses(context, [self, *self._nested_layers()])  # for `losses`
            return outputs

    def _call_compiled(self, inputs):
        """model(x) on a compiling backend (JAX): the jitted forward pass, not one dispatch per op."""
        from nnkit.training.trainer import Trainer

        trainer = self._prediction_trainer()
        flat = self._flatten_inputs(inputs)
        if (trainer, signature(flat)) != self._checked_call:  # convert and check once per kind of input
            keep = trainer.backend.is_array
            flat = [as_host_array(value, "inputs", keep) for value in flat]
            trainer._ensure_model(flat)
            self._check_input_shapes(flat)
            self._checked_call = (trainer, signature(flat))
        return self._pack_outputs(Trainer.predict_batch(trainer, flat))  # the forward pass, never a predict_step

    # --- compile and train ----------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                backend=None, run_eagerly=False, steps_per_execution=1, distribution=None, auto_scale_loss=True,
                **kwargs):
        """Choose optimizer, loss(es), metrics and the backend (argument, else $NNKIT_BACKEND, else numpy);
        `steps_per_execution` batches run in one compiled call where the backend compiles (JAX); `distribution`
        (nnkit.distribution.DataParallel, ModelParallel; else the one set_distribution() set) spreads training
        over devices or processes. Under the 'mixed_float16' policy the optimizer is wrapped in a
        LossScaleOptimizer unless `auto_scale_loss=False`."""
        from nnkit.optimizers.loss_scale_optimizer import loss_scaled_for
        from nnkit.training.custom_steps import trainer_class

        reject_unknown("Model.compile()", kwargs, ("optimizer", "loss", "metrics", "loss_weights",
                                                    "weighted_metrics", "backend", "run_eagerly",
                                                    "steps_per_execution", "distribution", "auto_scale_loss"))
        if auto_scale_loss:
            optimizer = loss_scaled_for(self.dtype_policy, optimizer)
        chosen = get_backend(backend)
        previous = self._trainer.backend if self._trainer is not None else self._placed_on
        self._place_on(chosen)
        trainer = trainer_class(self)(self, chosen, optimizer, loss, loss_weights, metrics, jit=not run_eagerly,
                          weighted_metrics=weighted_metrics, steps_per_execution=steps_per_execution,
                          distribution=distribution)
        if previous is not None:
            trainer.move_optimizer_state(previous)
        self._trainer = trainer
        self.optimizer = trainer.optimizer
        self.loss = loss
        self.compiled = True

    def _compiled_trainer(self, what):
        if self._trainer is None or self._trainer.optimizer is None:
            raise RuntimeError(f"You must compile the model before calling {what}(): model.compile(optimizer, loss).")
        return self._trainer

    def _prediction_trainer(self):
        if self._trainer is None:
            from nnkit.training.custom_steps import trainer_class

            backend = self.backend
            self._place_on(backend)
            self._trainer = trainer_class(self)(self, backend, None, None, None, None)
        return self._trainer

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, sample_weight=None, class_weight=None, initial_epoch=0,
            validation_batch_size=None, validation_freq=1, steps_per_epoch=None, validation_steps=None, **kwargs):
        """Train for `epochs` passes over (x, y); returns a History whose .history holds the logs per epoch.
        `x` may also be a generator, a PyDataset or a DataLoader of batches, or an (x, y) tuple."""
        reject_unknown("Model.fit()", kwargs, ("x", "y", "batch_size", "epochs", "verbose", "callbacks",
                                                "validation_split", "validation_data", "shuffle", "sample_weight",
                                                "class_weight", "initial_epoch", "validation_batch_size",
                                                "validation_freq", "steps_per_epoch", "validation_steps"))
        trainer = self._compiled_trainer("fit")
        check_batch_size(validation_batch_size)
        return trainer.fit(
            x, y, check_batch_size(batch_size) or 32, capped_epochs(epochs), 1 if verbose == "auto" else verbose,
            callbacks, validation_split, validation_data, shuffle, sample_weight, class_weight, initial_epoch,
            validation_batch_size, validation_freq, capped_steps(steps_per_epoch), capped_steps(validation_steps))

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, callbacks=None,
                 return_dict=False, steps=None, **kwargs):
        """Loss and metrics over (x, y): a scalar, a list [loss, *metrics], or a dict with return_dict=True."""
        reject_unknown("Model.evaluate()", kwargs, ("x", "y", "batch_size", "verbose", "sample_weight",
                                                     "callbacks", "return_dict", "steps"))
        logs = self._compiled_trainer("evaluate").evaluate(x, y, check_batch_size(batch_size) or 32,
                                                           1 if verbose == "auto" else verbose, sample_weight,
                                                           callbacks, capped_steps(steps))
        return logs if return_dict else _ordered_values(logs)

    def predict(self, x, batch_size=None, verbose="auto", callbacks=None, steps=None, **kwargs):
        """Model outputs for `x` as NumPy arrays, computed in batches."""
        reject_unknown("Model.predict()", kwargs, ("x", "batch_size", "verbose", "callbacks", "steps"))
        return self._prediction_trainer().predict(x, check_batch_size(batch_size) or 32,
                                                  1 if verbose == "auto" else verbose, callbacks, capped_steps(steps))

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One gradient step on one batch; returns that batch's loss (and metrics), as Keras does."""
        trainer = self._compiled_trainer("train_on_batch")
        data = trainer.data(x, y, sample_weight, class_weight) if class_weight else trainer.batch(x, y, sample_weight)
        with active.using(trainer.backend):
            trainer._ensure_training(data.x, data.y)
            trainer.reset_metrics()
            logs = trainer.train_batch(data.x, data.y, data.sample_weight)
        logs = host_logs(logs, trainer.backend)
        return logs if return_dict else _ordered_values(logs)

    def make_train_function(self):
        """The compiled training step as a function (x, y, sample_weight=None) -> logs, for custom loops.

        Each call is one gradient step; unlike train_on_batch the logs stay backend scalars (running
        means since the last reset_metrics()), so on an asynchronous backend nothing waits for the device.
        """
        trainer = self._compiled_trainer("make_train_function")

        def train_function(x, y, sample_weight=None):
            data = trainer.batch(x, y, sample_weight)
            with active.using(trainer.backend):
                trainer._ensure_training(data.x, data.y)
                return trainer.train_batch(data.x, data.y, data.sample_weight)

        return train_function

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics on one batch, without updating the weights."""
        trainer = self._compiled_trainer("test_on_batch")
        data = trainer.batch(x, y, sample_weight, call="test_on_batch()")
        with active.using(trainer.backend):
            trainer._ensure_training(data.x, data.y)
            trainer.reset_metrics()
            logs = host_logs(trainer.test_batch(data.x, data.y, data.sample_weight), trainer.backend)
        return logs if return_dict else _ordered_values(logs)

    def predict_on_batch(self, x):
        """Model outputs for one batch as NumPy arrays."""
        trainer = self._prediction_trainer()
        xs = trainer.batch(x, call="predict_on_batch()").x
        with active.using(trainer.backend):
            trainer._ensure_model(xs)
            outputs = trainer.predict_batch(xs)
            return self._pack_outputs([trainer.backend.to_numpy(o) for o in outputs])

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Model.from_config rebuilds functional graphs (configs with 'layers'); subclasses rebuild themselves."""
        if "layers" in config:
            from nnkit.models.functional import Functional

            return Functional.from_config(config, custom_objects)
        return cls(**config)

    # --- saving (nnkit.saving does the work) ----------------------------------------------------------------
    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Save architecture, weights, compile settings and optimizer state ('.keras' zip or legacy '.h5')."""
        from nnkit.saving import save_model

        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights and optimizer state ('.weights.h5': Keras 3's layout; '.h5': Keras 2's)."""
        from nnkit.saving import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False):
        """Load weights from a Keras 3 or Keras 2 weights file or a '.keras' archive; all or nothing."""
        from nnkit.saving import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)

    def to_json(self, **kwargs):
        """The architecture as JSON in Keras 3's format (json.dumps keywords pass through)."""
        from nnkit.saving import model_to_json

        return model_to_json(self, **kwargs)

    def to_yaml(self, **kwargs):
        """The architecture as YAML (yaml.safe_dump keywords pass through)."""
        from nnkit.saving import model_to_yaml

        return model_to_yaml(self, **kwargs)

    # --- description ---------------------------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, **kwargs):
        """Print Keras' table of layers, output shapes and parameter counts."""
        from nnkit.models.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def count_params(self):
        if not self.built:
            raise ValueError(f"Model '{self.name}' is not built yet: call it on data or give the first layer an "
                             f"input shape.")
        return int(sum(np.prod(v.shape, dtype=np.int64) for v in self.weights))


def _functional_arguments(first, second, kwargs):
    """Whether Model.__init__ received Keras' functional arguments (inputs, outputs) rather than (name, trainable)."""
    def symbolic(value):
        return any(isinstance(leaf, SymbolicTensor) for leaf in flatten(value))

    if "inputs" in kwargs and "outputs" in kwargs:
        return True
    return symbolic(first) and (symbolic(second) or "outputs" in kwargs)


@functools.lru_cache(maxsize=None)
def _functional_subclass(cls):
    """`cls` with Functional among its bases (made once per class), for subclasses built from (inputs, outputs)."""
    from nnkit.models.functional import Functional

    return type(cls.__name__, (cls, Functional), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})


def _on_backend(inputs, backend):
    """Inputs (an array, a list or a dict of arrays) as arrays of `backend`."""
    def convert(value):
        if type(value) is Tracer or (backend.is_array(value) and not backend.host_memory):
            return value  # a traced array (inside ops.value_and_grad on the tape) is already the backend's
        return backend.asarray(as_host_array(value, "inputs"))  # float data in floatx, as Keras casts inputs

    if isinstance(inputs, dict):
        return {key: convert(value) for key, value in inputs.items()}
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(convert(value) for value in inputs)
    return convert(inputs)


def _ordered_values(logs):
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
