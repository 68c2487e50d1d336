"""Array creation on the active backend."""
from nnkit.backends import active
from nnkit.config import floatx
from nnkit.layers.symbolic import SymbolicTensor
from nnkit.ops.primitive import records_symbolic
from nnkit.ops.tape import Tracer
from nnkit.ops.variable import Variable


def convert_to_tensor(value, dtype=None):
    """`value` as an array of the active backend (arrays already there pass through)."""
    if isinstance(value, (Tracer, Variable, SymbolicTensor)):
        return value
    if active.now().backend.is_array(value) and (dtype is None or value.dtype == dtype):
        return value
    return active.now().backend.asarray(value, dtype=dtype)


def zeros(shape, dtype=None):
    return active.now().xp.zeros(shape, dtype=dtype or floatx())


def ones(shape, dtype=None):
    return active.now().xp.ones(shape, dtype=dtype or floatx())


def full(shape, fill_value, dtype=None):
    return active.now().xp.full(shape, fill_value, dtype=dtype or floatx())


@records_symbolic
def zeros_like(x, dtype=None):
    return active.now().xp.zeros(tuple(x.shape), dtype=dtype or x.dtype)


@records_symbolic
def ones_like(x, dtype=None):
    return active.now().xp.ones(tuple(x.shape), dtype=dtype or x.dtype)


def arange(start, stop=None, step=1, dtype="int32"):
    return active.now().xp.arange(start, stop, step, dtype=dtype)


def eye(n, m=None, dtype=None):
    return active.now().xp.eye(n, m, dtype=dtype or floatx())
