"""The Metric base class: named state variables, updated only through ops and `Variable.assign`.

A model runs `update_state` as a pure function by swapping traced values into `metric.variables`
and reading them back, so metrics keep no Python-side state and never leave the backend.
"""
import functools
import inspect

import numpy as np

import nnkit.ops as ops
from nnkit import initializers
from nnkit.config import floatx
from nnkit.keywords import reject_unknown
from nnkit.naming import snake_case
from nnkit.ops.variable import Assigned, Variable


def assign_add(variable, delta):
    """Add `delta` to `variable`, keeping its dtype (a jitted state never changes type) and keeping it an
    array of the backend (NumPy turns 0-d results into scalars)."""
    variable.assign(ops.convert_to_tensor(ops.add(variable, ops.cast(delta, variable.dtype))))


def _check_keywords(init):
    """Wrap a constructor so a misspelt keyword is a TypeError suggesting the right one."""
    parameters = inspect.signature(init).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return init
    accepted = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)} - {"self"}
    owner = init.__qualname__.rsplit(".", 1)[0] + "()"

    @functools.wraps(init)
    def checked(self, *args, **kwargs):
        reject_unknown(owner, kwargs, accepted)
        init(self, *args, **kwargs)

    return checked


def divide_no_nan(numerator, denominator):
    """numerator / denominator, with 0 where the denominator is 0 (ratios of empty counts)."""
    empty = ops.equal(denominator, 0)
    return ops.where(empty, 0.0, ops.divide(numerator, ops.where(empty, 1.0, denominator)))


class Metric:
    """Base class: subclasses create state in `__init__` with `add_variable`, then implement
    `update_state` and `result` with nnkit.ops."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in vars(cls):
            cls.__init__ = _check_keywords(cls.__init__)

    def __init__(self, name=None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.dtype = np.dtype(dtype or floatx()).name
        self.variables = []
        self._initial_values = []

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None):
        """A non-trainable state Variable on the active backend, made from a host initial value."""
        dtype = np.dtype(dtype or self.dtype)
        shape = tuple(shape)
        if isinstance(initializer, np.ndarray):
            initial = initializer.astype(dtype)
            if initial.shape != shape:
                raise ValueError(
                    f"Metric '{self.name}': the initial value of '{name}' has shape {initial.shape}, "
                    f"expected {shape}."
                )
        else:
            initial = np.asarray(initializers.get(initializer)(shape, dtype=dtype), dtype=dtype)
        name = name or f"variable_{len(self.variables)}"
        variable = Variable(initial, name=name, trainable=False)
        variable.path = f"{self.name}/{name}"
        self.variables.append(variable)
        self._initial_values.append(initial)
        return variable

    def update_state(self, *args, **kwargs):
        """Accumulate the statistics of one batch into the state variables."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state()")

    def result(self):
        """The metric's value from the current state (a backend array)."""
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def reset_state(self):
        """Put every state variable back to its initial value (between epochs)."""
        for variable, initial in zip(self.variables, self._initial_values):
            variable.assign(variable.backend.asarray(initial))

    # --- the stateless form (Keras 3's), for custom train steps that thread metric state themselves ------------
    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """update_state as a pure function of the state values (`variables` order): returns the new values;
        the metric's own Variables keep theirs."""
        with Assigned(self.variables, self._state_values(metric_variables, "stateless_update_state")) as scope:
            self.update_state(*args, **kwargs)
            return scope.current()

    def stateless_result(self, metric_variables):
        """result() computed from the given state values."""
        with Assigned(self.variables, self._state_values(metric_variables, "stateless_result")):
            return self.result()

    def stateless_reset_state(self):
        """The initial state values (what reset_state() would assign), as new arrays."""
        return [variable.backend.asarray(initial) for variable, initial in zip(self.variables, self._initial_values)]

    def _state_values(self, values, call):
        values = list(values)
        if len(values) != len(self.variables):
            raise ValueError(f"Metric '{self.name}'.{call}() needs {len(self.variables)} state values "
                             f"({[v.name for v in self.variables]}), received {len(values)}.")
        return values

    def __call__(self, *args, **kwargs):
        """Update with one batch and return the new result."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        """The constructor arguments that rebuild this metric."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """Rebuild a metric from `get_config()` output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
