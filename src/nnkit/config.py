"""Process-wide defaults (Keras 3's keras.config): float type, dtype policy, fuzz factor, image layout, the
default backend and the switches Keras exposes there."""
import json
import os
import sys
from pathlib import Path

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_BACKEND = None  # set_backend()'s choice, ahead of $NNKIT_BACKEND and the config file
_DTYPE_POLICY = None  # set_dtype_policy()'s choice; None: the policy named floatx()
_SWITCHES = {"traceback_filtering": True, "interactive_logging": True, "flash_attention": None,
             "unsafe_deserialization": False}
_LIMITS = {"max_epochs": None, "max_steps_per_epoch": None}


def floatx():
    """The default float dtype name for weights and inputs ('float32')."""
    return _FLOATX


def set_floatx(dtype):
    """Change the default float dtype ('float16', 'bfloat16', 'float32' or 'float64'); backends that need a
    switch to compute in it (JAX's x64 mode for float64) get it turned on."""
    global _FLOATX
    dtype = str(dtype)
    if dtype not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(f"floatx must be 'float16', 'bfloat16', 'float32' or 'float64'; received {dtype!r}")
    _FLOATX = dtype
    backends = sys.modules.get("nnkit.backends")
    if backends is not None:
        backends.apply_floatx(dtype)


def dtype_policy():
    """The dtype policy of layers made without a `dtype`: set_dtype_policy()'s, else the policy named floatx()."""
    from nnkit.dtype_policies import DTypePolicy

    return _DTYPE_POLICY if _DTYPE_POLICY is not None else DTypePolicy(floatx())


def set_dtype_policy(policy):
    """Make `policy` (a DTypePolicy or a name such as 'mixed_float16') the policy of layers made from now on
    without a `dtype`; layers made before keep theirs. None goes back to following floatx()."""
    global _DTYPE_POLICY
    from nnkit.dtype_policies import DTypePolicy

    if policy is not None and not isinstance(policy, (str, DTypePolicy)):
        raise ValueError(f"set_dtype_policy() takes a policy name such as 'mixed_float16' or a DTypePolicy; "
                         f"received {policy!r} (of type {type(policy).__name__}).")
    _DTYPE_POLICY = DTypePolicy(policy) if isinstance(policy, str) else policy


def epsilon():
    """The fuzz factor used to keep logs and divisions finite (Keras' 1e-7)."""
    return _EPSILON


def set_epsilon(value):
    """Change the fuzz factor."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    """The default `data_format` of image layers: 'channels_last' (batch, ..., channels) or 'channels_first'."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    """Change the default `data_format` that image layers built with data_format=None use."""
    global _IMAGE_DATA_FORMAT
    value = str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"image_data_format must be 'channels_last' or 'channels_first'; received {data_format!r}")
    _IMAGE_DATA_FORMAT = value


def backend():
    """The name of the backend compile() uses when it names none."""
    return default_backend_name()


def set_backend(name):
    """Make `name` the backend compile() uses when it names none (models compiled before keep theirs)."""
    global _BACKEND
    from nnkit.backends import get_backend

    _BACKEND = get_backend(name).name


def _switch(name, value):
    _SWITCHES[name] = value


def enable_traceback_filtering():
    """Keras' switch for shortening tracebacks; recorded (nnkit's errors are raised where they occur)."""
    _switch("traceback_filtering", True)


def disable_traceback_filtering():
    _switch("traceback_filtering", False)


def is_traceback_filtering_enabled():
    return _SWITCHES["traceback_filtering"]


def enable_interactive_logging():
    """Progress bars and summaries print to stdout (the default)."""
    _switch("interactive_logging", True)


def disable_interactive_logging():
    _switch("interactive_logging", False)


def is_interactive_logging_enabled():
    return _SWITCHES["interactive_logging"]


def enable_flash_attention():
    """Keras' flash-attention switch; recorded (nnkit's attention picks its own kernel)."""
    _switch("flash_attention", True)


def disable_flash_attention():
    _switch("flash_attention", False)


def is_flash_attention_enabled():
    return _SWITCHES["flash_attention"]


def enable_unsafe_deserialization():
    """Let loading rebuild Lambda layers from their code (as load_model(safe_mode=False) does)."""
    _switch("unsafe_deserialization", True)


def is_unsafe_deserialization_enabled():
    return _SWITCHES["unsafe_deserialization"]


def max_epochs():
    """A cap on the epochs of fit() (None: no cap), as Keras' config offers for quick test runs."""
    return _LIMITS["max_epochs"]


def set_max_epochs(value):
    _LIMITS["max_epochs"] = None if value is None else int(value)


def max_steps_per_epoch():
    """A cap on the steps of each fit() epoch (None: no cap)."""
    return _LIMITS["max_steps_per_epoch"]


def set_max_steps_per_epoch(value):
    _LIMITS["max_steps_per_epoch"] = None if value is None else int(value)


def config_path():
    """Where the user's config file lives: $NNKIT_HOME/nnkit.json, else ~/.nnkit/nnkit.json."""
    home = os.environ.get("NNKIT_HOME") or os.path.join(os.path.expanduser("~"), ".nnkit")
    return Path(home) / "nnkit.json"


def default_backend_name():
    """The backend used when compile() names none: set_backend()'s, else $NNKIT_BACKEND, else the config
    file, else numpy."""
    name = _BACKEND or os.environ.get("NNKIT_BACKEND")
    if name:
        return name
    path = config_path()
    if path.is_file():
        with open(path) as f:
            name = json.load(f).get("backend")
        if name:
            return name
    return "numpy"
