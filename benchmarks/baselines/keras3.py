"""Baseline: Keras 3 on its JAX backend.

KERAS_BACKEND=jax is set before keras is imported (the command line does it before any import; this
module checks). Step time is `train_on_batch` on a batch already placed on the device as jax arrays;
fit() throughput is `model.fit(x, y, batch_size, epochs=1, verbose=0)` on the host NumPy arrays.
Predict offers model(x), predict_on_batch(x) and predict(x, verbose=0).
"""
import importlib.util
import os
import sys

from benchmarks.workloads import LEARNING_RATE, keras_style_stack

NAME = "keras"
LIBRARY = "jax"  # the backend Keras runs on here


def unavailable(ctx):
    missing = [name for name in ("keras", "jax") if importlib.util.find_spec(name) is None]
    if missing:
        return "not installed (" + ", ".join(missing) + ")"
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "jax"
    import keras

    if keras.backend.backend() != "jax":
        return f"keras was imported with the {keras.backend.backend()!r} backend before KERAS_BACKEND=jax was set"
    if ctx.device == "gpu":
        import jax

        if jax.default_backend() != "gpu":
            return f"JAX sees no GPU (default backend {jax.default_backend()!r})"
    return None


def not_applicable(workload, ctx):
    return None


def build_model(workload, seed):
    """A compiled keras.Sequential for the workload: the same layer calls nnkit is built with."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    stack = keras_style_stack(layers, workload)
    model = keras.Sequential(stack)
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss=workload.loss)
    return model


class TrainSession:
    fit_kind = "fit()"

    def __init__(self, workload, data, ctx):
        import jax
        import keras

        self.notes = [f"keras {keras.__version__}"]
        self.model = build_model(workload, ctx.seed)
        self.batch = data.batch
        self.x, self.y = jax.device_put(data.x_batch), jax.device_put(data.y_batch)

    def step(self):
        return self.model.train_on_batch(self.x, self.y)

    def sync(self, handle):
        return None  # train_on_batch returns a Python float: already synchronised

    def loss(self, handle):
        return float(handle)

    def fit_epoch(self, x, y, labels):
        self.model.fit(x, y, batch_size=self.batch, epochs=1, verbose=0)


class PredictSession:
    def __init__(self, workload, x1, ctx):
        import jax

        self.jax = jax
        model = build_model(workload, ctx.seed)
        self.notes = []
        self.calls = {
            "call": lambda: model(x1),
            "predict_on_batch": lambda: model.predict_on_batch(x1),
            "predict": lambda: model.predict(x1, verbose=0),
        }

    def sync(self, handle):
        self.jax.block_until_ready(handle)


def train_session(workload, data, ctx):
    return TrainSession(workload, data, ctx)


def predict_session(workload, x1, ctx):
    return PredictSession(workload, x1, ctx)
