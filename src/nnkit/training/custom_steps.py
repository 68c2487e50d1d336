"""How fit(), evaluate() and predict() drive a model whose class overrides train_step, test_step or
predict_step (Keras 3's "customizing what happens in fit()"): once per batch, with the batch packed as Keras
packs it (`x`, `(x, y)` or `(x, y, sample_weight)`), keeping callbacks, progress bar, History, validation and
predict's batching.

A stateful step `train_step(self, data)` runs eagerly on every backend (on JAX op by op, not jitted); a
stateless step `train_step(self, state, data)` gets the state tuple Keras' JAX trainer passes, is compiled
with the backend's jit (jax.jit; run_eagerly=True runs it as is) and its new state is written back to the
Variables after each batch. See nnkit.models.step_methods for what a step may call.
"""
import inspect

from nnkit.layers.call_context import CallContext
from nnkit.layers.layer import Layer
from nnkit.layers.symbolic import flatten
from nnkit.training.data_adapters.batch_structure import pack_x_y_sample_weight
from nnkit.training.trainer import Trainer

STEP_NAMES = ("train_step", "test_step", "predict_step")


def overridden_steps(model):
    """The names of the steps `model`'s class defines itself."""
    from nnkit.models.step_methods import StepMethods

    return {name for name in STEP_NAMES if getattr(type(model), name, None) is not getattr(StepMethods, name)}


def trainer_class(model):
    """The trainer compile() makes for `model`: one that drives custom steps where the class has any."""
    return CustomStepTrainer if overridden_steps(model) else Trainer


def is_stateless(step):
    """Whether a bound step takes (state, data), Keras' JAX form, rather than (data)."""
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return len([p for p in inspect.signature(step).parameters.values() if p.kind in kinds]) == 2


class CustomStepTrainer(Trainer):
    """A Trainer whose train/test/predict batches go through the model's own steps where it overrides them
    (the others stay the built-in compiled steps). One batch per call: no padding, resident data or
    steps_per_execution grouping, which only the built-in steps understand."""

    def __init__(self, model, *args, **kwargs):
        super().__init__(model, *args, **kwargs)
        self.custom = overridden_steps(model)
        if self.replicas.count > 1 or not self.replicas.single_device:
            raise NotImplementedError(
                f"Model '{model.name}' overrides {', '.join(sorted(self.custom))}: custom steps run on one device "
                f"and do not reduce their gradients over replicas, so they cannot train under the "
                f"{type(self.replicas).__name__} distribution. Compile it without a distribution, or drop the "
                f"override to use the built-in steps.")
        self.steps_per_execution = 1
        self.metric_initial, self.metric_values = None, []
        self.stateless_steps = {name for name in self.custom if is_stateless(getattr(model, name))}
        # model(x) inside an eager step runs op by op, so that it records its add_loss terms (model.losses).
        self.eager_calls = bool(self.custom - self.stateless_steps)
        self._stateless = {}  # step name -> (the (compiled) function of (state, data, random key), draws keys)
        self._prepared = False

    def requires_targets(self, call):
        step = "train_step" if call == "fit()" else "test_step"
        return step not in self.custom

    def pads(self, training):
        return False

    def resident(self, data):
        return None

    def check_values(self, data):
        if data.y is not None and getattr(self, "output_shapes", None) is not None:
            super().check_values(data)

    def reset_metrics(self):
        if self.metric_initial is not None:
            super().reset_metrics()
        for metric in self.model.metrics:
            metric.reset_state()

    # --- building on the first batch -----------------------------------------------------------------
    def _ensure_training(self, x, y):
        """As Keras' symbolic build: the model (where it has a call()), compiled loss and metrics (where targets
        come with the data) and the optimizer's state; the model's metrics moved to the backend."""
        if self._prepared:
            return
        model = self.model
        has_call = getattr(type(model), "call") is not Layer.call
        if has_call and y is not None:
            super()._ensure_training(x, y)
        elif has_call:
            self._ensure_model(x)
        trainable = model.trainable_weights
        if self.optimizer is not None and self.optimizer.state is None and trainable:
            self.optimizer.build([v.value for v in trainable])
        for metric in model.metrics:
            for variable in metric.variables:
                variable.move_to(self.backend)
        self._prepared = True

    def _ensure_model(self, x):
        if getattr(type(self.model), "call") is not Layer.call:
            super()._ensure_model(x)

    # --- one batch ---------------------------------------------------------------------------------------
    def _step_data(self, x, y=None, sample_weight=None):
        """The batch as the step gets it: backend arrays in the model's input structure, packed as Keras packs."""
        xs = self.model._pack_inputs(self._uploaded(x))
        ys = None if y is None else self._uploaded(y)
        if ys is not None and len(ys) == 1:
            ys = ys[0]
        weights = None if sample_weight is None else self._uploaded([sample_weight])[0]
        return pack_x_y_sample_weight(xs, ys, weights)

    def _uploaded(self, arrays):
        backend = self.backend
        return [a if backend.is_array(a) else backend.asarray(a) for a in arrays]

    def train_batch(self, x, y, sample_weight, valid=None):
        if "train_step" not in self.custom:
            return super().train_batch(x, y, sample_weight, valid)
        self._ensure_training(x, y)
        data = self._step_data(x, y, sample_weight)
        if "train_step" not in self.stateless_steps:
            return self.model.train_step(data)
        model, optimizer = self.model, self.optimizer
        trainable, non_trainable, metric_variables = (model.trainable_variables, model.non_trainable_variables,
                                                      model.metrics_variables)
        state = (_values(trainable), _values(non_trainable), list(optimizer.variables), _values(metric_variables))
        logs, (new_trainable, new_non_trainable, optimizer_values, metric_values) = self._run_stateless(
            "train_step", state, data)
        _write_back(trainable, new_trainable)
        _write_back(non_trainable, new_non_trainable)
        _write_back(metric_variables, metric_values)
        optimizer.state = optimizer._state_from_flat(optimizer_values)
        return logs

    def test_batch(self, x, y, sample_weight, valid=None):
        if "test_step" not in self.custom:
            return super().test_batch(x, y, sample_weight, valid)
        self._ensure_training(x, y)
        data = self._step_data(x, y, sample_weight)
        model = self.model
        if "test_step" not in self.stateless_steps:
            return model.test_step(data)
        trainable, non_trainable, metric_variables = (model.trainable_variables, model.non_trainable_variables,
                                                      model.metrics_variables)
        logs, (_, new_non_trainable, metric_values) = self._run_stateless(
            "test_step", (_values(trainable), _values(non_trainable), _values(metric_variables)), data)
        _write_back(non_trainable, new_non_trainable)
        _write_back(metric_variables, metric_values)
        return logs

    def predict_batch(self, x):
        """predict()'s batches: the model's predict_step where it has one, its outputs flattened."""
        if "predict_step" not in self.custom:
            return super().predict_batch(x)
        data = self._step_data(x)
        model = self.model
        if "predict_step" not in self.stateless_steps:
            return flatten(model.predict_step(data))
        trainable, non_trainable = model.trainable_variables, model.non_trainable_variables
        outputs, new_non_trainable = self._run_stateless("predict_step", (_values(trainable), _values(non_trainable)),
                                                         data)
        _write_back(non_trainable, new_non_trainable)
        return flatten(outputs)

    def _run_stateless(self, name, state, data):
        """The model's stateless step on (state, data), compiled once where the backend compiles; a training
        step draws its random numbers (dropout in stateless_call) from the trainer's key, new each batch."""
        if name not in self._stateless:
            method = getattr(self.model, name)

            def keyed(state, data, key):
                with CallContext(key):
                    return method(state, data)

            draws = name == "train_step" and self.model._uses_randomness()
            self._stateless[name] = (self.backend.jit(keyed) if self.jit else keyed, draws)
        step, draws = self._stateless[name]
        key = None
        if draws:
            self.key, key = self.backend.fold_in(self.key, 1), self.backend.fold_in(self.key, 0)
        return step(state, data, key)


def _values(variables):
    return [variable._value for variable in variables]


def _write_back(variables, values):
    """Store a stateless step's new values in the Variables they came from."""
    if len(values) != len(variables):
        raise ValueError(f"A stateless step returned {len(values)} values for {len(variables)} variables; return "
                         f"the state in the order it came in.")
    for variable, value in zip(variables, values):
        variable._value = value
