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
        """The current backend array itself, for computing with ops. Training steps may update it in place
        (NumPy) or consume it (JAX donates the step's buffers): keep `numpy()` for a value that lasts."""
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
        return self._value.dtype

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

    def __exit__(self, *exc):
        for variable, value in zip(self.variables, self.saved):
            variable._value = value
