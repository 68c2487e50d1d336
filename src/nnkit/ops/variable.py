"""Variable: a named, stateful handle on one backend array (a weight, a moving statistic, a counter).

Ops accept a Variable wherever they accept an array and read its current value. Models run their
pure train step by swapping traced values into variables for the duration of the call. Inside an
AutocastScope (a layer with a mixed dtype policy, during its call) float variables read as the scope's dtype.
"""
from contextvars import ContextVar

import numpy as np

from nnkit.dtype_policies.dtype_policy import FLOAT_DTYPES
from nnkit.ops import operators

# The Variables assigned while a gradient function runs ({id: variable}), or None: ops.value_and_grad gives
# them their new values once the gradients are taken, so no traced value stays behind in a Variable.
_assignment_log = ContextVar("nnkit_assignment_log", default=None)


class Variable(operators.ArrayOperators):
    """A weight or state array with a name, a trainable flag and an optional regularizer/constraint."""

    __array_priority__ = 100

    def __init__(self, value, name="variable", trainable=True, regularizer=None, constraint=None,
                 backend=None, *, shape=None, dtype=None, autocast=True, aggregation="none",
                 synchronization="auto"):
        from nnkit.backends import current

        self.backend = backend or current()
        if callable(value) or isinstance(value, str):  # Keras' Variable(initializer, shape=..., dtype=...)
            value = _initial_value(value, shape, dtype)
        self._value = self.backend.asarray(value) if dtype is None else self.backend.asarray(value, dtype=dtype)
        self.autocast, self.aggregation, self.synchronization = autocast, aggregation, synchronization
        self.name = name
        self.trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint
        self.path = name

    @property
    def value(self):
        """The current backend array itself, for computing with ops (cast to the dtype of an enclosing
        AutocastScope when `autocast` and floating). Training steps may update it in place (NumPy) or consume it
        (JAX donates the step's buffers): keep `numpy()` for a value that lasts."""
        dtype = _autocast_dtype.get()
        if dtype is None or not self.autocast:
            return self._value
        return _autocast(self._value, dtype)

    def assign(self, value):
        """Replace the value (inside a stateless call this records the new state); keeps shape and dtype."""
        from nnkit.ops import cast
        from nnkit.ops.tape import Tracer

        if type(value) is Variable:
            value = value._value
        if type(value) is not Tracer and not self.backend.is_array(value):
            value = self.backend.asarray(value, dtype=self._value.dtype)
        if tuple(value.shape) != tuple(self._value.shape):
            raise ValueError(
                f"Cannot assign a value of shape {tuple(value.shape)} to variable '{self.path}' "
                f"of shape {tuple(self._value.shape)}."
            )
        if value.dtype != self._value.dtype:
            value = cast(value, self._value.dtype)
        self._value = value
        log = _assignment_log.get()
        if log is not None:
            log[id(self)] = self

    def assign_add(self, delta):
        """Add `delta` to the value (Keras' assign_add); returns the new value."""
        from nnkit.ops import add

        self.assign(add(self._value, delta))
        return self._value

    def assign_sub(self, delta):
        """Subtract `delta` from the value (Keras' assign_sub); returns the new value."""
        from nnkit.ops import subtract

        self.assign(subtract(self._value, delta))
        return self._value

    def numpy(self):
        """A host NumPy copy of the value, which later training steps never change."""
        return np.array(self.backend.to_numpy(self._value), copy=True)

    def move_to(self, backend):
        """Re-home the value on another backend (through the host, so bits are unchanged)."""
        if backend is not self.backend:
            host = self.backend.to_numpy(self._value)
            self.backend = backend
            self._value = backend.asarray(host)

    @property
    def shape(self):
        return tuple(self._value.shape)

    @property
    def dtype(self):
        """The value's dtype, or the dtype reads are cast to inside an AutocastScope (as in Keras)."""
        dtype = _autocast_dtype.get()
        if dtype is None or not self.autocast or not _is_float(self._value.dtype):
            return self._value.dtype
        return dtype

    @property
    def ndim(self):
        return len(self._value.shape)

    def __array__(self, dtype=None, copy=None):
        """`np.asarray(variable)`: a host copy (never the live buffer, which steps update in place)."""
        if copy is False:
            raise ValueError(f"Variable '{self.path}' cannot be viewed without a copy; use np.array(variable).")
        return np.array(self.backend.to_numpy(self._value), dtype=dtype, copy=True)

    def __repr__(self):
        return f"<Variable '{self.path}' shape={self.shape} dtype={self.dtype}>"


_autocast_dtype = ContextVar("nnkit_autocast_dtype", default=None)


def _is_float(dtype):
    return dtype in FLOAT_DTYPES


def _autocast(value, dtype):
    """`value` cast to `dtype` when it is a float array of another dtype (a differentiable cast)."""
    if value.dtype == dtype or not _is_float(value.dtype):
        return value
    from nnkit.ops import cast

    return cast(value, dtype)


def autocast_dtype():
    """The dtype float variables read as in this thread right now, or None outside any AutocastScope."""
    return _autocast_dtype.get()


class AutocastScope:
    """Context: float Variables with `autocast=True` read as `dtype` (a NumPy dtype) inside the block; None turns
    autocasting off. Per thread/context (a ContextVar), like the call context."""

    __slots__ = ("dtype", "_token")

    def __init__(self, dtype):
        self.dtype = dtype

    def __enter__(self):
        self._token = _autocast_dtype.set(self.dtype)
        return self

    def __exit__(self, *exc):
        _autocast_dtype.reset(self._token)


def _initial_value(initializer, shape, dtype):
    """The host value `initializer` (a name, an Initializer or a callable) makes for `shape` and `dtype`."""
    from nnkit import initializers
    from nnkit.config import floatx

    if shape is None:
        raise ValueError(f"Variable({initializer!r}) with an initializer needs a shape.")
    return np.asarray(initializers.get(initializer)(tuple(shape), dtype=dtype or floatx()))


class Assigned:
    """Context: give `variables` the values `values` for the block, then put the old ones back.

    This is how stateful layers and metrics run as pure functions: traced values go in, whatever the
    code assigned is read back with `current()` before the originals are restored.
    """

    __slots__ = ("variables", "values", "saved")

    def __init__(self, variables, values):
        self.variables = variables
        self.values = values

    def __enter__(self):
        self.saved = [v._value for v in self.variables]
        for variable, value in zip(self.variables, self.values):
            variable._value = value
        return self

    def current(self):
        """The values the variables hold now (after the code in the block assigned to them)."""
        return [v._value for v in self.variables]

    def assign(self, values):
        """Give the variables `values` for the rest of the block."""
        for variable, value in zip(self.variables, values):
            variable._value = value

    def __exit__(self, *exc):
        for variable, value in zip(self.variables, self.saved):
            variable._value = value


def logging_assignments():
    """Whether an AssignmentLog is open in this thread (a stateful ops.value_and_grad is running)."""
    return _assignment_log.get() is not None


class AssignmentLog:
    """Context: collect the Variables that `assign` changes inside the block (`variables`, first change first)."""

    __slots__ = ("variables", "token")

    def __enter__(self):
        self.variables = {}
        self.token = _assignment_log.set(self.variables)
        return self

    def __exit__(self, *exc):
        _assignment_log.reset(self.token)
        outer = _assignment_log.get()
        if outer is not None:  # a gradient taken inside another one: the outer one sees these changes too
            outer.update(self.variables)
