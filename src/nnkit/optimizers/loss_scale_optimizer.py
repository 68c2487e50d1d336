"""LossScaleOptimizer: dynamic loss scaling around another optimizer (Keras 3's rule).

The train step differentiates `scale_loss(loss, state)`, the loss times the current scale; `update` divides the
gradients by the scale and lets the inner optimizer step when they are all finite, doubling the scale after
`dynamic_growth_steps` such steps in a row; a non-finite gradient skips the step and halves the scale.
"""
import nnkit.ops as ops
from nnkit.backends import active
from nnkit.optimizers.optimizer import Optimizer

# The wrapper's own state keys; the rest of its state is the inner optimizer's.
_OWN_KEYS = ("step_counter", "dynamic_scale")
# Base keywords Keras rejects (they belong on the inner optimizer), with their defaults.
_INNER_ONLY = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None, "use_ema": False,
               "ema_momentum": 0.99, "ema_overwrite_frequency": None, "loss_scale_factor": None,
               "gradient_accumulation_steps": None}


def _select(condition, new, old):
    """`new` where `condition` holds, else `old`, through lists of arrays."""
    if isinstance(new, list):
        return [_select(condition, n, o) for n, o in zip(new, old)]
    return ops.where(condition, new, old)


class LossScaleOptimizer(Optimizer):
    """Wraps `inner_optimizer`; the scale starts at `initial_scale` (2^15). Its state is the inner optimizer's
    plus "step_counter" and "dynamic_scale" (float32)."""

    default_name = "loss_scale_optimizer"
    own_state_keys = _OWN_KEYS  # in Keras' variable order (saving/optimizer_state.py)

    def __init__(self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set `loss_scale_factor` "
                "directly on the `inner_optimizer`."
            )
        for argument, default in _INNER_ONLY.items():
            if argument in kwargs and kwargs.pop(argument) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{argument}`. Instead, set `{argument}` on the "
                    "`inner_optimizer`."
                )
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`.")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(f"`inner_optimizer` must be an nnkit Optimizer; received {inner_optimizer!r}")
        super().__init__(learning_rate=inner_optimizer._learning_rate, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps

    def init(self, params):
        state = self.inner_optimizer.init(params)
        state["step_counter"] = ops.zeros((), "int32")
        state["dynamic_scale"] = ops.full((), self.initial_scale, "float32")
        return state

    def scale_loss(self, loss, state=None):
        """`loss` times the current scale (from `state`, else the optimizer's own, else the initial scale)."""
        state = self.state if state is None else state
        scale = self.initial_scale if state is None else state["dynamic_scale"]
        return ops.multiply(loss, ops.cast(scale, loss.dtype) if hasattr(scale, "dtype") else scale)

    def inner_state(self, state):
        """The part of `state` that belongs to the inner optimizer (all but the wrapper's own keys)."""
        return {key: value for key, value in state.items() if key not in _OWN_KEYS}

    def update(self, grads, state, params):
        inner_state = self.inner_state(state)
        counter, scale = state["step_counter"], state["dynamic_scale"]
        finite = ops.all(ops.stack([ops.all(ops.isfinite(g)) for g in grads]))
        unscaled = [ops.divide(g, ops.cast(scale, g.dtype)) for g in grads]
        if active.backend.uses_tape:  # eager: take one branch, so in-place (fused) inner updates never run in vain
            if bool(finite):
                params, inner_state = self.inner_optimizer.update(unscaled, inner_state, params)
        else:  # traced: both branches, selected
            new_params, new_inner = self.inner_optimizer.update(unscaled, inner_state, params)
            params = _select(finite, new_params, params)
            inner_state = {key: _select(finite, new_inner[key], inner_state[key]) for key in new_inner}
        grow = ops.equal(counter, self.dynamic_growth_steps - 1)
        inner_state["step_counter"] = ops.cast(ops.where(finite, ops.where(grow, 0, ops.add(counter, 1)), 0), "int32")
        grown = ops.where(grow, ops.multiply(scale, 2.0), scale)
        inner_state["dynamic_scale"] = ops.cast(ops.where(finite, grown, ops.multiply(scale, 0.5)), "float32")
        return params, inner_state

    def finalize_variable_values(self, variables):
        if self.state is not None:
            self.inner_optimizer.state = self.inner_state(self.state)
        self.inner_optimizer.finalize_variable_values(variables)

    def get_config(self):
        """Keras 3's config; the inner optimizer as Keras serializes it (module and registered name included), so
        Keras can load a model compiled with loss scaling."""
        from nnkit.optimizers import serialize
        from nnkit.saving.registry import registered_name

        registered = registered_name(self.inner_optimizer)
        inner = {"module": None if registered else "keras.optimizers", **serialize(self.inner_optimizer),
                 "registered_name": registered}
        return {"name": self.name, "inner_optimizer": inner, "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from nnkit.optimizers import deserialize

        config = dict(config)
        inner = config.pop("inner_optimizer")
        return cls(deserialize(inner, custom_objects) if isinstance(inner, dict) else inner, **config)


def loss_scaled_for(policy, optimizer):
    """`optimizer` (an instance or anything optimizers.get takes) wrapped in a LossScaleOptimizer when `policy`
    is 'mixed_float16', as Keras 3's compile(auto_scale_loss=True) does: float16 gradients underflow unscaled."""
    from nnkit.optimizers import get

    optimizer = get(optimizer)
    if policy.name != "mixed_float16" or optimizer is None or isinstance(optimizer, LossScaleOptimizer):
        return optimizer
    return LossScaleOptimizer(optimizer, name="loss_scale_optimizer")
