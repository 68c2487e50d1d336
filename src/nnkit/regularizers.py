"""Weight regularizers with Keras 3 names and defaults: scalar penalties written with nnkit.ops, so they
are differentiated with the loss on every backend; `get`/`serialize` convert to and from configs."""
import math

import nnkit.ops as ops
from nnkit.config import epsilon
from nnkit.catalog import Catalog


def _non_negative_float(value, name):
    """`value` as a float, or a ValueError unless it is a finite number >= 0 (None counts as 0)."""
    value = 0.0 if value is None else value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative float; received {name}={value!r}")
    return float(value)


class Regularizer:
    """Base class: `__call__(x)` -> scalar penalty; `get_config`/`from_config` save and rebuild it."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        """The constructor arguments that rebuild this regularizer."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild a regularizer from `get_config()` output."""
        return cls(**config)


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x^2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _non_negative_float(l1, "l1")
        self.l2 = _non_negative_float(l2, "l2")

    def __call__(self, x):
        penalty = ops.zeros((), dtype=x.dtype)
        if self.l1:
            penalty = ops.add(penalty, ops.multiply(self.l1, ops.sum(ops.abs(x))))
        if self.l2:
            penalty = ops.add(penalty, ops.multiply(self.l2, ops.sum(ops.square(x))))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """l1 * sum(|x|)."""

    def __init__(self, l1=0.01):
        self.l1 = _non_negative_float(0.01 if l1 is None else l1, "l1")

    def __call__(self, x):
        return ops.multiply(self.l1, ops.sum(ops.abs(x)))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """l2 * sum(x^2)."""

    def __init__(self, l2=0.01):
        self.l2 = _non_negative_float(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        return ops.multiply(self.l2, ops.sum(ops.square(x)))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """factor * mean |cosine| between distinct rows (or columns) of a 2-D weight: pushes them apart."""

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _non_negative_float(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(f"`mode` must be 'rows' or 'columns'; received mode={mode!r}")
        self.mode = mode

    def __call__(self, x):
        if len(x.shape) != 2:
            raise ValueError(f"OrthogonalRegularizer needs a 2-D weight; received shape {tuple(x.shape)}")
        if self.mode == "columns":
            x = ops.transpose(x)
        size = x.shape[0]
        if size < 2:
            return ops.zeros((), dtype=x.dtype)
        norms = ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=1, keepdims=True), epsilon() ** 2))
        unit = ops.divide(x, norms)
        off_diagonal = ops.multiply(ops.matmul(unit, ops.transpose(unit)), 1.0 - ops.eye(size, dtype=x.dtype))
        pairs = size * (size - 1) / 2.0
        return ops.multiply(self.factor * 0.5 / pairs, ops.sum(ops.abs(off_diagonal)))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


_CLASSES = (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)

# Keras' lowercase aliases: the classes under snake_case names.
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer


# Class names, their snake_case forms ('l1', 'l2', 'l1_l2', 'orthogonal_regularizer') and Keras' 'l1_l2'.
_CATALOG = Catalog(Regularizer, _CLASSES, "regularizer", aliases={"l1_l2": L1L2})
get, serialize, deserialize = _CATALOG.get, _CATALOG.serialize, _CATALOG.deserialize
