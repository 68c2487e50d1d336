"""Weight constraints (Keras 3): projections the train step applies to a variable after each optimizer update."""
import nnkit.ops as ops
from nnkit.catalog import Catalog
from nnkit.config import epsilon


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

_CATALOG = Catalog(Constraint, (Constraint, MaxNorm, NonNeg, UnitNorm, MinMaxNorm), "constraint")
get, serialize, deserialize = _CATALOG.get, _CATALOG.serialize, _CATALOG.deserialize


__all__ = [
    "Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get", "max_norm", "min_max_norm",
    "non_neg", "serialize", "unit_norm",
]
