"""nnkit under test: builds the workload with nnkit's Keras-style API on one of its backends.

The calls made, exactly:
    import nnkit; from nnkit import layers
    nnkit.utils.set_random_seed(seed)            (or nnkit.random.set_random_seed; skipped if neither)
    model = nnkit.Sequential([layers.Input(shape=...), layers.Dense(n, activation=...),
                              layers.Conv2D(f, 3, padding='same', activation='relu'),
                              layers.MaxPooling2D(2), layers.Flatten(), layers.LSTM(n), ...])
    model.compile(optimizer=nnkit.optimizers.Adam(1e-3), loss=<'categorical_crossentropy' |
                  'binary_crossentropy' | 'mse'>, backend=<'numpy' | 'jax' | 'cupy'>)
    step:    train = model.make_train_function(); train(x, y) -> logs left on the device (each timed block
             ends waiting for them), the compiled step a custom loop calls
    fit:     model.fit(x, y, batch_size=..., epochs=1, verbose=0)   on host NumPy arrays
    predict: model(x), model.predict_on_batch(x), model.predict(x, verbose=0)   on a (1, 784) NumPy array

For the step, the batch is handed over as the backend's own array type (jax.Array, cupy.ndarray) so it is
already resident on the device, as the baselines' batches are.

Anything missing while importing, building or compiling (nnkit itself, a layer such as Conv2D or LSTM,
a backend such as cupy) makes the row say 'not available yet' with the reason; the baselines still run.
"""
import importlib
import importlib.util
import os
import sys

import numpy as np

from benchmarks.measure import NotAvailable
from benchmarks.workloads import LEARNING_RATE, LSTM, Conv2D, Dense, Flatten, MaxPool2D, keras_style_stack

BACKENDS = ("numpy", "jax", "cupy")
_REPO_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
_state = {}


def load():
    """(nnkit module or None, reason, note). Falls back to the repository's src/ when not installed."""
    if "nnkit" in _state:
        return _state["nnkit"]
    note = None
    try:
        module = importlib.import_module("nnkit")
    except ImportError as first_error:
        module = None
        if os.path.isdir(os.path.join(_REPO_SRC, "nnkit")) and _REPO_SRC not in sys.path:
            sys.path.insert(0, _REPO_SRC)
            for name in [n for n in sys.modules if n == "nnkit" or n.startswith("nnkit.")]:
                del sys.modules[name]
            try:
                module = importlib.import_module("nnkit")
                note = "imported from src/ (nnkit is not installed)"
            except Exception as error:
                _state["nnkit"] = (None, f"import nnkit failed: {type(error).__name__}: {error}", None)
                return _state["nnkit"]
        if module is None:
            _state["nnkit"] = (None, f"import nnkit failed: {first_error}", None)
            return _state["nnkit"]
    except Exception as error:
        _state["nnkit"] = (None, f"import nnkit failed: {type(error).__name__}: {error}", None)
        return _state["nnkit"]
    _state["nnkit"] = (module, None, note)
    return _state["nnkit"]


def version():
    module, _, _ = load()
    return getattr(module, "__version__", None) if module else None


def backend_unavailable(backend, ctx):
    """None, or (status, reason) when a backend cannot run on this device/machine."""
    if backend == "numpy" and ctx.device != "cpu":
        return ("n/a", "CPU backend (run with --device cpu)")
    if backend == "cupy":
        if ctx.device != "gpu":
            return ("n/a", "GPU only")
        if importlib.util.find_spec("cupy") is None:
            return ("not installed", "cupy not installed")
    if backend == "jax":
        if importlib.util.find_spec("jax") is None:
            return ("not installed", "jax not installed")
        if ctx.device == "gpu":
            import jax

            if jax.default_backend() != "gpu":
                return ("n/a", f"JAX sees no GPU (default backend {jax.default_backend()!r})")
    if backend not in BACKENDS:
        return ("n/a", f"unknown backend {backend!r}")
    return None


def library(backend):
    return {"numpy": "numpy", "jax": "jax", "cupy": "cupy"}[backend]


# ----------------------------------------------------------------------------------------------- building
_LAYER_NAMES = {Dense: "Dense", Conv2D: "Conv2D", MaxPool2D: "MaxPooling2D", Flatten: "Flatten", LSTM: "LSTM"}


def _seed(nnkit, seed):
    for owner, name in (("utils", "set_random_seed"), ("random", "set_random_seed")):
        holder = getattr(nnkit, owner, None)
        if holder is None:
            try:
                holder = importlib.import_module(f"nnkit.{owner}")
            except ImportError:
                continue
        function = getattr(holder, name, None)
        if callable(function):
            function(seed)
            return


def build_model(workload, backend, seed):
    """A compiled nnkit model for the workload, or NotAvailable saying what is missing."""
    nnkit, reason, _ = load()
    if nnkit is None:
        raise NotAvailable(reason)
    try:
        layers = getattr(nnkit, "layers", None) or importlib.import_module("nnkit.layers")
    except ImportError as error:
        raise NotAvailable(f"nnkit.layers: {error}") from error
    needed = ["Input"] + [_LAYER_NAMES[type(layer)] for layer in workload.layers]
    missing = sorted({name for name in needed if not hasattr(layers, name)})
    if missing:
        raise NotAvailable("nnkit.layers lacks " + ", ".join(missing))
    sequential = getattr(nnkit, "Sequential", None) or getattr(getattr(nnkit, "models", None), "Sequential", None)
    optimizers = getattr(nnkit, "optimizers", None)
    if sequential is None:
        raise NotAvailable("nnkit.Sequential missing")
    if optimizers is None or not hasattr(optimizers, "Adam"):
        raise NotAvailable("nnkit.optimizers.Adam missing")
    try:
        _seed(nnkit, seed)
        stack = keras_style_stack(layers, workload)
        model = sequential(stack)
        model.compile(optimizer=optimizers.Adam(LEARNING_RATE), loss=workload.loss, backend=backend)
    except NotAvailable:
        raise
    except Exception as error:  # nnkit is being written: any failure to build/compile means 'not yet'
        raise NotAvailable(f"building/compiling on backend {backend!r} failed: {type(error).__name__}: {error}") \
            from error
    return model


# ----------------------------------------------------------------------------------------------- sync
def _first(handle):
    if isinstance(handle, dict):
        return handle.get("loss", next(iter(handle.values()), None))
    if isinstance(handle, (list, tuple)):
        return handle[0] if handle else None
    return handle


def to_float(handle):
    """The loss as a Python float, whatever nnkit returned (float, NumPy/JAX/CuPy scalar, list, tensor)."""
    value = _first(handle)
    if value is None:
        return float("nan")
    try:
        return float(value)
    except TypeError:
        pass
    for attribute in ("numpy", "item"):
        method = getattr(value, attribute, None)
        if callable(method):
            return float(np.asarray(method()))
    return float(np.asarray(value))


def _unwrap(value):
    """The backend array inside an nnkit tensor-like object (tried: .value, .data, .array), else value."""
    for attribute in ("value", "data", "array"):
        inner = getattr(value, attribute, None)
        if inner is not None and not callable(inner) and hasattr(inner, "shape"):
            return inner
    return value


def make_sync(backend):
    """A hook that waits until what the backend computed for `handle` is done.

    On JAX the logs of a training step come out of the same compiled program as the weight update, so
    waiting for them waits for the whole step, exactly as the pure-JAX baseline's sync on its loss does.
    """
    if backend == "jax":
        import jax

        def sync(handle=None):
            value = _unwrap(_first(handle))
            if isinstance(value, jax.Array):
                value.block_until_ready()
            elif value is not None and not isinstance(value, (float, int, np.ndarray, np.generic)):
                np.asarray(value)  # unknown type: converting to host waits for it

        return sync
    if backend == "cupy":
        import cupy

        return lambda handle=None: cupy.cuda.Device().synchronize()
    return lambda handle=None: None


def _resident(array, backend):
    if backend == "jax":
        import jax

        return jax.device_put(array)
    if backend == "cupy":
        import cupy

        return cupy.asarray(array)
    return array


# ----------------------------------------------------------------------------------------------- sessions
class TrainSession:
    fit_kind = "fit()"

    def __init__(self, workload, data, backend, ctx):
        _, _, note = load()
        self.notes = [note] if note else []
        self.model = build_model(workload, backend, ctx.seed)
        self.batch = data.batch
        self.x, self.y = _resident(data.x_batch, backend), _resident(data.y_batch, backend)
        self.train = self.model.make_train_function()
        self._sync = make_sync(backend)

    def step(self):
        self.model.reset_metrics()  # the logs are then this step's loss, as the baselines report
        return self.train(self.x, self.y)

    def sync(self, handle):
        self._sync(handle)

    def loss(self, handle):
        return to_float(handle)

    def fit_epoch(self, x, y, labels):
        self.model.fit(x, y, batch_size=self.batch, epochs=1, verbose=0)
        self._sync(self.model.trainable_weights[-1].value)  # one program updates them all


class PredictSession:
    def __init__(self, workload, x1, backend, ctx):
        _, _, note = load()
        self.notes = [note] if note else []
        model = build_model(workload, backend, ctx.seed)
        self._sync = make_sync(backend)  # latency: wait for the result itself
        self.calls = {
            "call": lambda: model(x1),
            "predict_on_batch": lambda: model.predict_on_batch(x1),
            "predict": lambda: model.predict(x1, verbose=0),
        }

    def sync(self, handle):
        self._sync(handle)


def train_session(workload, data, backend, ctx):
    return TrainSession(workload, data, backend, ctx)


def predict_session(workload, x1, backend, ctx):
    return PredictSession(workload, x1, backend, ctx)
