"""Process-wide defaults: float type, fuzz factor, and the default backend name."""
import json
import os
from pathlib import Path

_FLOATX = "float32"
_EPSILON = 1e-7


def floatx():
    """The default float dtype name for weights and inputs ('float32')."""
    return _FLOATX


def set_floatx(dtype):
    """Change the default float dtype ('float16', 'float32' or 'float64')."""
    global _FLOATX
    if dtype not in ("float16", "float32", "float64"):
        raise ValueError(f"floatx must be 'float16', 'float32' or 'float64'; received {dtype!r}")
    _FLOATX = dtype


def epsilon():
    """The fuzz factor used to keep logs and divisions finite (Keras' 1e-7)."""
    return _EPSILON


def set_epsilon(value):
    """Change the fuzz factor."""
    global _EPSILON
    _EPSILON = float(value)


def config_path():
    """Where the user's config file lives: $NNKIT_HOME/nnkit.json, else ~/.nnkit/nnkit.json."""
    home = os.environ.get("NNKIT_HOME") or os.path.join(os.path.expanduser("~"), ".nnkit")
    return Path(home) / "nnkit.json"


def default_backend_name():
    """The backend used when compile() names none: $NNKIT_BACKEND, else the config file, else numpy."""
    name = os.environ.get("NNKIT_BACKEND")
    if name:
        return name
    path = config_path()
    if path.is_file():
        with open(path) as f:
            name = json.load(f).get("backend")
        if name:
            return name
    return "numpy"
