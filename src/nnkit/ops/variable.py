"""Variable: a named, stateful handle on one backend array (a weight, a moving statistic, a counter).

Ops accept a Variable wherever they accept an array and read its current value. Models run their
pure train step by swapping traced values into variables for the duration of the call.
"""
import numpy as np

from nnkit.ops import operators


class Variable(operators.ArrayOperators):
    """A weight or state array with a name, a trainable flag and an optional regularizer/constraint."""

    __array_priority__ = 100

    def __init__(self, value, name="variable", trainable=True, regularizer=None, constraint=None,
                 backend=None):
        from nnkit.backends import current

        self.backend = backend or current()
        self._value = self.backend.asarray(value)
        self.name = name
        self.trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint
        self.path = name

    @property
    def value(self):
        """The current backend array."""
        return self._value

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

    def numpy(self):
        """A host NumPy copy of the value."""
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
        return self._value.dtype

    @property
    def ndim(self):
        return len(self._value.shape)

    def __array__(self, dtype=None, copy=None):
        host = self.backend.to_numpy(self._value)
        return host.astype(dtype) if dtype is not None else host

    def __repr__(self):
        return f"<Variable '{self.path}' shape={self.shape} dtype={self.dtype}>"


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

    def __exit__(self, *exc):
        for variable, value in zip(self.variables, self.saved):
            variable._value = value
