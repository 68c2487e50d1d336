"""Weight constraints (Keras 3): projections the train step applies to a variable after each optimizer update."""
import inspect

import nnkit.ops as ops
from nnkit.config import epsilon
from nnkit.naming import look_up, snake_case


def _norms(w, axis):
    """The L2 norms of `w` along `axis` (an int or a list of ints, as Keras takes), kept broadcastable against `w`."""
    return ops.norm(w, axis=tuple(axis) if isinstance(axis, (list, tuple)) else axis, keepdims=True)


class Constraint:
    """Base class: `constraint(w)` returns the projected weights (the identity here)."""

    def __call__(self, w):
        return w

    def get_config(self):
        """The constructor arguments that rebuild this constraint."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild a constraint from `get_config()` output."""
        return cls(**config)


class MaxNorm(Constraint):
    """Rescales the weights incident to each unit (slices along `axis`) to a norm of at most `max_value`."""

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = ops.clip(norms, 0, self.max_value)
        return ops.multiply(w, ops.divide(desired, ops.add(norms, epsilon())))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w):
        return ops.maximum(w, 0.0)


class UnitNorm(Constraint):
    """Rescales the weights incident to each unit to unit norm."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return ops.divide(w, ops.add(_norms(w, self.axis), epsilon()))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each unit's norm towards [min_value, max_value]: norm -> rate * clip(norm) + (1 - rate) * norm."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        clipped = ops.clip(norms, self.min_value, self.max_value)
        desired = ops.add(ops.multiply(clipped, self.rate), ops.multiply(norms, 1.0 - self.rate))
        return ops.multiply(w, ops.divide(desired, ops.add(norms, epsilon())))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


# Keras' lowercase aliases: the classes under snake_case names.
max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

_CLASSES = (Constraint, MaxNorm, NonNeg, UnitNorm, MinMaxNorm)
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({snake_case(cls.__name__): cls for cls in _CLASSES})


def _lookup(name):
    """The constraint class called `name`, or a ValueError suggesting close names."""
    return look_up(_BY_NAME, name, "constraint",
                   "a Constraint instance or class, a callable, a config dict {'class_name': ..., 'config': {...}}")


def serialize(constraint):
    """The config dict `{'class_name': ..., 'config': ...}` that `get`/`deserialize` turn back into it
    (None stays None, so layers can store an absent constraint)."""
    if constraint is None:
        return None
    if not isinstance(constraint, Constraint):
        raise ValueError(f"Only Constraint instances can be serialized; received {constraint!r}")
    return {"class_name": type(constraint).__name__, "config": constraint.get_config()}


def deserialize(config):
    """Rebuild a constraint from a `serialize` dict."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A constraint config needs a 'class_name' key; received {config!r}")
    return _lookup(config["class_name"]).from_config(config.get("config") or {})


def get(identifier):
    """A constraint from a name, config dict, Constraint (class or instance) or callable; None stays None."""
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Constraint):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")


__all__ = [
    "Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get", "max_norm", "min_max_norm",
    "non_neg", "serialize", "unit_norm",
]
