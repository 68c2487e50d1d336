"""DTypePolicy: the dtype a layer computes in and the dtype it keeps its weights in (Keras 3's mixed precision).

'mixed_float16' and 'mixed_bfloat16' compute in half precision and keep float32 weights; any dtype name
('float32', 'float64', 'int32', ...) uses that dtype for both.
"""
import numpy as np

_MIXED = {"mixed_float16": ("float16", "float32"), "mixed_bfloat16": ("bfloat16", "float32")}
_FLOATS = ("float16", "bfloat16", "float32", "float64")


def _known_dtypes(names):
    """The NumPy dtype objects of `names` (bfloat16 where ml_dtypes is installed): sets of dtype objects are
    what hot paths test membership in (a dtype's `.name` is built anew on every read)."""
    try:
        import ml_dtypes  # noqa: F401  (registers bfloat16 with NumPy)
    except ImportError:
        names = [name for name in names if name != "bfloat16"]
    return frozenset(np.dtype(name) for name in names)


FLOAT_DTYPES = _known_dtypes(_FLOATS)
HALF_DTYPES = _known_dtypes(("float16", "bfloat16"))


def standardized_dtype(dtype):
    """The canonical name of a dtype ('float32' for np.float32, 'bfloat16', ...); a ValueError when it names none.
    NumPy holds bfloat16 through the ml_dtypes package (which JAX installs): a clear error says so without it."""
    name = getattr(dtype, "name", None) if not isinstance(dtype, str) else dtype
    if name == "bfloat16":
        try:
            import ml_dtypes  # noqa: F401  (registers bfloat16 with NumPy)
        except ImportError:
            raise ValueError("bfloat16 needs the ml_dtypes package, which NumPy uses to hold bfloat16 arrays: "
                             "pip install ml-dtypes") from None
        return name
    try:
        return np.dtype(dtype).name
    except TypeError:
        raise ValueError(f"{dtype!r} is not a dtype name.") from None


class DTypePolicy:
    """A layer's dtypes: `compute_dtype` (inputs, math and outputs) and `variable_dtype` (weights). `name` is a
    dtype name or 'mixed_float16' / 'mixed_bfloat16'; None takes the global policy (config.dtype_policy())."""

    def __init__(self, name=None):
        if name is None:
            from nnkit.config import dtype_policy

            name = dtype_policy().name
        self._name = name
        self._compute_dtype, self._variable_dtype = _parse(name)

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        """The dtype layers cast floating inputs to and compute in; their outputs have it too."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype layers create their weights in; read inside a call they are cast to the compute dtype."""
        return self._variable_dtype

    @property
    def quantization_mode(self):
        """Keras' quantization mode; nnkit has no quantized policies, so always None."""
        return None

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and self._name == other._name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


class FloatDTypePolicy(DTypePolicy):
    """Keras' alias of DTypePolicy."""


def _parse(name):
    """(compute dtype, variable dtype) of a policy name."""
    if not isinstance(name, str):
        raise TypeError(f"DTypePolicy: 'name' must be a string such as 'mixed_float16'; received {name!r} "
                        f"(of type {type(name).__name__}).")
    if name in _MIXED:
        compute, variable = _MIXED[name]
        return standardized_dtype(compute), variable
    try:
        dtype = standardized_dtype(name)
    except ValueError as error:
        if "ml_dtypes" in str(error):
            raise
        raise ValueError(f"Cannot convert '{name}' to a DTypePolicy. Valid policies are 'mixed_float16', "
                         f"'mixed_bfloat16', and the name of any dtype such as 'float32' or 'float64'.") from None
    return dtype, dtype
