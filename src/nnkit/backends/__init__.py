"""The backend registry: look a backend up by name, list the installed ones, know the active one."""
import importlib
import importlib.util

from nnkit.backends import active
from nnkit.backends.base import Backend
from nnkit.config import default_backend_name

# name -> (module, class, the library it needs, the pip extra that installs it)
_REGISTRY = {
    "numpy": ("nnkit.backends.numpy_backend", "NumpyBackend", "numpy", None),
    "jax": ("nnkit.backends.jax_backend", "JaxBackend", "jax", "jax"),
}
_instances = {}


def available_backends():
    """Names of the registered backends whose array library is installed."""
    return [name for name, (_, _, library, _) in _REGISTRY.items() if importlib.util.find_spec(library)]


def get_backend(name=None):
    """The backend called `name` (a Backend instance passes through; None means the default)."""
    if isinstance(name, Backend):
        return name
    name = default_backend_name() if name is None else name
    if name in _instances:
        return _instances[name]
    if name not in _REGISTRY:
        raise ValueError(
            f"Unknown backend {name!r}. Known backends: {sorted(_REGISTRY)}; "
            f"installed: {available_backends()}."
        )
    module_name, class_name, library, extra = _REGISTRY[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ImportError(
            f"Backend {name!r} needs {library!r}, which is not installed ({error}). Installed backends: "
            f"{available_backends()}. Install it with: pip install 'nnkit[{extra}]'"
        ) from error
    instance = _instances[name] = getattr(module, class_name)()
    return instance


def apply_floatx(dtype):
    """Let every backend created so far compute in the new floatx (later ones read it when created)."""
    for backend in _instances.values():
        backend.use_floatx(dtype)


def current():
    """The backend nnkit.ops computes with right now."""
    return active.now().backend


active.set_default(get_backend("numpy"))

__all__ = ["Backend", "available_backends", "get_backend", "current"]
