"""The optimizer base: a pure, jit-safe init/update pair over a flat parameter list (the train step calls it),
under Keras' stateful surface, which reads the latest state the model handed back (`opt.state`).
"""
import warnings
import weakref

import numpy as np

import nnkit.ops as ops
from nnkit.backends import active, available_backends, get_backend
from nnkit.config import floatx
from nnkit.keywords import accepted_keywords, reject_unknown
from nnkit.optimizers import schedules

# Keys of the state that precede the slots, in the order `variables` lists them.
_LEADING_KEYS = ("iteration", "learning_rate", "average")


def _check_rate(value):
    """A learning rate as a float (from a number or a scalar array), or the schedule itself."""
    if isinstance(value, schedules.LearningRateSchedule):
        return value
    if not isinstance(value, bool) and hasattr(value, "__float__"):
        try:
            return float(value)
        except TypeError:
            pass
    raise ValueError(
        "Argument `learning_rate` should be a float or a LearningRateSchedule instance. "
        f"Received instead: learning_rate={value!r}"
    )


def _backend_of(array):
    """The backend `array` belongs to (callbacks may touch the state while another backend is active)."""
    if active.backend.is_array(array):
        return active.backend
    for name in available_backends():
        backend = get_backend(name)
        if backend.is_array(array):
            return backend
    return active.backend


class Optimizer:
    """Base class: a subclass names its `slot_names`, writes one parameter's step with ops in `_update_one`
    (fed by `_step_scalars`, computed once per step) and may name a fused kernel in `_fused_kind`."""

    slot_names = ()
    default_name = "optimizer"

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, name=None, **kwargs):
        if "lr" in kwargs:  # tf.keras 2 spelling
            learning_rate = kwargs.pop("lr")
        if kwargs.pop("decay", None):
            warnings.warn(
                "Argument `decay` is no longer supported (as in Keras 3) and is ignored; pass a schedule such "
                "as nnkit.optimizers.schedules.InverseTimeDecay as the learning_rate instead.",
                stacklevel=3,
            )
        reject_unknown(f"{type(self).__name__}()", kwargs, accepted_keywords(type(self)) | {"lr", "decay"})
        if sum(value is not None for value in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency is not None and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                    f"ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        self.name = self.default_name if name is None else name
        self._learning_rate = _check_rate(learning_rate)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.state = None
        self._scratch = {}  # {dtype: buffer} for fused in-place kernels: this optimizer's own
        self._model = None  # weak reference to the model compiled with this optimizer

    # --- the pure pair -------------------------------------------------------------------------------
    def init(self, params):
        """The initial state for `params` (a flat list of arrays), created on the active backend."""
        # {"iteration": int32 scalar, "learning_rate": scalar of the params' dtype (absent under a schedule),
        #  "average": [...] (use_ema only), one list per name in slot_names, extra scalars (Nadam's u_product)}
        params = list(params)
        dtype = params[0].dtype if params else floatx()
        state = {"iteration": ops.zeros((), "int32")}
        if not isinstance(self._learning_rate, schedules.LearningRateSchedule):
            state["learning_rate"] = ops.full((), self._learning_rate, dtype)
        if self.use_ema:
            state["average"] = [ops.zeros_like(p) for p in params]
        for name in self.slot_names:
            state[name] = [self._init_slot(name, p) for p in params]
        state.update(self._init_extra(dtype))
        return state

    def update(self, grads, state, params):
        """One step: `(new_params, new_state)`, lists in parameter order. Pure and jit-safe; on an eager
        backend with a fused kernel for this configuration, params and slots are updated in place instead."""
        grads = self._clip_gradients(grads)
        kind = self._fused_kind
        if kind is not None:
            backend = active.backend
            if backend.uses_tape:
                kernel = backend.fused_update(kind)
                if kernel is not None and self._update_in_place(kernel, grads, state, params):
                    return params, state
        return self._update_generic(grads, state, params)

    def _update_generic(self, grads, state, params):
        """The reference update, written with ops; returns new arrays and leaves its inputs untouched."""
        iteration = state["iteration"]
        dtype = params[0].dtype if params else floatx()
        lr = self._current_learning_rate(state)
        if lr.dtype != dtype:
            lr = ops.cast(lr, dtype)
        scalars, new_state = self._step_scalars(lr, ops.cast(ops.add(iteration, 1), dtype), state)
        by_dtype = {dtype: (lr, scalars)}
        names = self.slot_names
        new_slots = {name: [] for name in names}
        new_params = []
        for index, (grad, param) in enumerate(zip(grads, params)):
            if param.dtype not in by_dtype:
                by_dtype[param.dtype] = (ops.cast(lr, param.dtype), tuple(ops.cast(s, param.dtype) for s in scalars))
            param_lr, param_scalars = by_dtype[param.dtype]
            if self.weight_decay:
                param = ops.subtract(param, ops.multiply(ops.multiply(param, self.weight_decay), param_lr))
            param, updated = self._update_one(grad, param, {name: state[name][index] for name in names},
                                              param_scalars)
            new_params.append(param)
            for name in names:
                new_slots[name].append(updated[name])
        result = {"iteration": ops.convert_to_tensor(ops.add(iteration, 1))}
        if "learning_rate" in state:
            result["learning_rate"] = state["learning_rate"]
        if self.use_ema:
            new_params, result["average"] = self._moving_average(iteration, new_params, state["average"])
        result.update(new_slots)
        result.update(new_state)
        return new_params, result

    def _update_in_place(self, kernel, grads, state, params):
        """The fused step on host scalars; False (nothing written) when the kernel cannot write a buffer."""
        iteration = state["iteration"]
        step = int(iteration) + 1
        lr = float(self._current_learning_rate(state))
        decay = self.weight_decay * lr if self.weight_decay else 0.0
        if not self._apply_kernel(kernel, grads, params, state, lr, step, decay):
            return False
        state["iteration"] = ops.full((), step, "int32")
        return True

    def _current_learning_rate(self, state):
        """This step's rate: the schedule at the current iteration, else the state's scalar."""
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return self._learning_rate(state["iteration"])
        return state["learning_rate"]

    def _clip_gradients(self, grads):
        """Keras' clipping, applied before weight decay and the update: per-tensor norm, global norm or value."""
        if self.clipnorm and self.clipnorm > 0:
            limit = self.clipnorm
            return [ops.divide(ops.multiply(g, limit), ops.maximum(ops.norm(g), limit)) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            limit = self.global_clipnorm
            norm = ops.sqrt(ops.sum(ops.stack([ops.sum(ops.square(g)) for g in grads])))
            # norm - norm is 0, or NaN when the norm is not finite, so such steps poison the update as in Keras.
            scale = ops.add(ops.divide(limit, ops.maximum(norm, limit)), ops.subtract(norm, norm))
            return [ops.multiply(g, scale) for g in grads]
        if self.clipvalue and self.clipvalue > 0:
            return [ops.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def _moving_average(self, iteration, params, averages):
        """Keras' EMA of the updated weights (the first step copies them); every ema_overwrite_frequency steps
        the weights are replaced by it."""
        first = ops.equal(iteration, 0)
        new_averages = []
        for param, average in zip(params, averages):
            momentum = ops.multiply(ops.cast(ops.logical_not(first), param.dtype), self.ema_momentum)
            new_averages.append(
                ops.add(ops.multiply(momentum, average), ops.multiply(ops.subtract(1.0, momentum), param))
            )
        if self.ema_overwrite_frequency:
            count = ops.add(iteration, 1)
            frequency = self.ema_overwrite_frequency
            due = ops.equal(ops.multiply(ops.floor(ops.divide(count, frequency)), frequency), count)
            params = [ops.where(due, average, param) for param, average in zip(params, new_averages)]
        return params, new_averages

    # --- what subclasses fill in ---------------------------------------------------------------------
    @property
    def _fused_kind(self):
        """The backend kernel kind (`Backend.fused_update`) covering this configuration, or None."""
        return None

    def _apply_kernel(self, kernel, grads, params, state, lr, step, decay):
        """Run the fused kernel on host scalars (lr, 1-based step, weight-decay factor); its bool result."""
        raise NotImplementedError

    def _init_slot(self, name, param):
        """The initial value of slot `name` for `param` (zeros unless a subclass says otherwise)."""
        return ops.zeros_like(param)

    def _init_extra(self, dtype):
        """Scalars of the state beyond the iteration and learning rate (none unless a subclass has some)."""
        return {}

    def _step_scalars(self, lr, step, state):
        """(scalars for `_update_one`, updated extra state), computed once per step from the rate and the
        1-based step (both scalars of the parameters' dtype)."""
        return (lr,), {}

    def _update_one(self, grad, param, slots, scalars):
        """(new param, {slot name: new value}) for one parameter and its {slot name: value}, written with ops."""
        raise NotImplementedError

    # --- the stateful Keras surface ------------------------------------------------------------------
    def attach_to(self, model):
        """Bind this optimizer to `model` at compile time: its state belongs to one set of variables, so a
        second live model is refused (as Keras 3 refuses an optimizer built for other variables)."""
        owner = None if self._model is None else self._model()
        if owner is not None and owner is not model:
            raise ValueError(
                f"This {type(self).__name__} optimizer (name={self.name!r}) is already used by model "
                f"'{owner.name}'; model '{model.name}' needs its own: compile it with a new optimizer instance "
                f"(e.g. optimizer={type(self).__name__}(...)) or a name such as optimizer='adam'."
            )
        self._model = weakref.ref(model)

    def build(self, params):
        """Create the state for `params` (Keras' build): `opt.state = opt.init(params)`."""
        self.state = self.init(params)

    @property
    def built(self):
        """Whether the optimizer holds a state (after build, or once the model handed one back)."""
        return self.state is not None

    @property
    def iterations(self):
        """How many updates the current state has taken."""
        return 0 if self.state is None else int(self.state["iteration"])

    @property
    def learning_rate(self):
        """The current rate as a float, or the schedule the optimizer follows."""
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return self._learning_rate
        if self.state is not None:
            return float(self.state["learning_rate"])
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        value = _check_rate(value)
        if isinstance(value, schedules.LearningRateSchedule):
            self._learning_rate = value
            if self.state is not None:
                self.state.pop("learning_rate", None)
            return
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
                "constructor argument, hence its learning rate is not settable. If you need the learning rate "
                "to be settable, you should instantiate the optimizer with a float `learning_rate` argument."
            )
        self._learning_rate = value
        if self.state is not None:
            current = self.state["learning_rate"]
            self.state["learning_rate"] = _backend_of(current).asarray(value, dtype=current.dtype)

    lr = learning_rate  # tf.keras 2 spelling

    def _state_keys(self):
        """The state's keys in `variables` order."""
        keys = [key for key in _LEADING_KEYS if key in self.state] + list(self.slot_names)
        return keys + sorted(set(self.state) - set(keys))

    @property
    def variables(self):
        """The state's arrays, flat: iteration, learning rate, EMA averages, each slot, extra scalars."""
        return [] if self.state is None else self._flat_state(self.state)

    def _flat_state(self, state):
        """`state`'s arrays in `variables` order (the inverse of `_state_from_flat`)."""
        flat = []
        for key in self._state_keys():
            flat.extend(state[key] if isinstance(state[key], list) else [state[key]])
        return flat

    def set_weights(self, weights):
        """Load `variables`-ordered arrays (e.g. host copies from a checkpoint) into the built state."""
        if self.state is None:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. Call "
                "`optimizer.build(params)` to create the optimizer state first."
            )
        current = self.variables
        if len(weights) != len(current):
            raise ValueError(f"Expected {len(current)} optimizer weights; received {len(weights)}.")
        backend = _backend_of(self.state["iteration"])
        loaded = []
        for index, (weight, like) in enumerate(zip(weights, current)):
            host = np.array(weight, dtype=like.dtype)  # a copy: the state may be updated in place
            if host.shape != tuple(like.shape):
                raise ValueError(
                    f"Optimizer weight {index} has shape {tuple(like.shape)}; received shape {host.shape}."
                )
            loaded.append(backend.asarray(host))
        self.state = self._state_from_flat(loaded)

    def _state_from_flat(self, values):
        """A state dict shaped like the current one, filled from `variables`-ordered arrays."""
        values = iter(values)
        return {
            key: [next(values) for _ in self.state[key]] if isinstance(self.state[key], list) else next(values)
            for key in self._state_keys()
        }

    # --- hand-written training loops (Keras 3's apply / apply_gradients) -------------------------------------
    def apply(self, grads, trainable_variables=None):
        """Update `trainable_variables` (Variables; by default those of the previous call) with `grads`,
        building the state on the first call; constraints are applied after the update, as in fit()."""
        variables = list(trainable_variables) if trainable_variables is not None else self.__dict__.get("_applied")
        if not variables:
            raise ValueError("optimizer.apply(grads, trainable_variables): give the variables on the first call.")
        if len(variables) != len(grads):
            raise ValueError(f"optimizer.apply() got {len(grads)} gradients for {len(variables)} variables.")
        self._applied = variables
        with active.using(variables[0].backend):
            params = [v.value for v in variables]
            if self.state is None:
                self.build(params)
            params, self.state = self.update([getattr(g, "value", g) for g in grads], self.state, params)
            for variable, value in zip(variables, params):
                if value is not variable.value:
                    variable.assign(value)
                if variable.constraint is not None:
                    variable.assign(variable.constraint(variable.value))

    def apply_gradients(self, grads_and_vars):
        """tf.keras' form of apply: an iterable of (gradient, variable) pairs."""
        grads, variables = zip(*grads_and_vars)
        self.apply(list(grads), list(variables))

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """Keras 3's pure update for custom train steps: (new trainable values, new optimizer variables) from
        the values of `variables` (flat, as that property lists them), the gradients and the trainable values;
        the constraints of the compiled model's weights are applied after the update. Like fit's step it may
        reuse its input buffers (updated in place on NumPy, donated under jax.jit)."""
        if self.state is None:
            raise ValueError("optimizer.stateless_apply(): build the optimizer first (optimizer.build(params), or "
                             "let fit() build it) so that its variables exist.")
        count = len(self.variables)
        if len(optimizer_variables) != count or len(grads) != len(trainable_variables):
            raise ValueError(f"optimizer.stateless_apply() needs {count} optimizer variables and one gradient per "
                             f"trainable value; received {len(optimizer_variables)} optimizer variables, "
                             f"{len(grads)} gradients and {len(trainable_variables)} trainable values.")
        params, state = self.update(list(grads), self._state_from_flat(optimizer_variables), list(trainable_variables))
        owner = None if self._model is None else self._model()
        variables = owner.trainable_weights if owner is not None else []
        if len(variables) == len(params):  # the compiled model's weights: their constraints, as in fit()
            params = [p if v.constraint is None else v.constraint(p) for v, p in zip(variables, params)]
        return params, self._flat_state(state)

    def finalize_variable_values(self, variables):
        """With use_ema, overwrite the model's Variables with their moving averages (Keras calls this when
        fit ends); otherwise do nothing."""
        if self.use_ema and self.state is not None:
            for variable, average in zip(variables, self.state["average"]):
                variable.assign(ops.multiply(average, 1.0))  # a copy: the two must never share a buffer

    def get_config(self):
        """The constructor arguments that rebuild this optimizer (without its state)."""
        rate = self._learning_rate
        return {
            "name": self.name,
            "learning_rate": schedules.serialize(rate) if isinstance(rate, schedules.LearningRateSchedule)
            else self.learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild an optimizer from `get_config()` output (a serialized schedule is rebuilt too)."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<nnkit optimizer {type(self).__name__} name={self.name!r}>"
