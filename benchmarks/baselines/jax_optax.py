"""Baseline: pure JAX, a hand-written jax.jit train step with optax.adam.

Parameters are a pytree (a list of per-layer dicts); the step is jitted with donate_argnums for the
parameters and the optimizer state, so XLA updates them in place. Convolutions use
lax.conv_general_dilated (NHWC / HWIO), pooling lax.reduce_window, the LSTM lax.scan over time (with the
input projection of all time steps done as one matmul before the scan, as cuDNN does). Initialisation
follows Keras (Glorot-uniform kernels, orthogonal recurrent kernel, zero biases, forget-gate bias 1).
The losses use optax's fused forms on logits.
"""
import importlib.util
import warnings

import numpy as np

from benchmarks.initializers import glorot_uniform, orthogonal
from benchmarks.workloads import LEARNING_RATE, LSTM, Conv2D, Dense, Flatten, MaxPool2D

NAME = "jax"
LIBRARY = "jax"


def unavailable(ctx):
    missing = [name for name in ("jax", "optax") if importlib.util.find_spec(name) is None]
    if missing:
        return "not installed (" + ", ".join(missing) + ")"
    if ctx.device == "gpu":
        import jax

        if jax.default_backend() != "gpu":
            return f"JAX sees no GPU (default backend {jax.default_backend()!r})"
    return None


def not_applicable(workload, ctx):
    return None


# ----------------------------------------------------------------------------------------------- model
def init_params(workload, seed):
    """Host-side initial parameters (NumPy), one dict per layer ({} for parameter-free layers)."""
    rng = np.random.default_rng(seed)
    params, shape = [], tuple(workload.input_shape)
    for layer in workload.layers:
        if isinstance(layer, Conv2D):
            k, c = layer.kernel, shape[-1]
            params.append({
                "w": glorot_uniform(rng, (k, k, c, layer.filters), k * k * c, k * k * layer.filters),
                "b": np.zeros(layer.filters, np.float32),
            })
            shape = shape[:2] + (layer.filters,)
        elif isinstance(layer, MaxPool2D):
            params.append({})
            shape = (shape[0] // layer.pool, shape[1] // layer.pool, shape[2])
        elif isinstance(layer, Flatten):
            params.append({})
            shape = (int(np.prod(shape)),)
        elif isinstance(layer, LSTM):
            features, units = shape[-1], layer.units
            bias = np.zeros(4 * units, np.float32)
            bias[units:2 * units] = 1.0  # unit_forget_bias; gate order i, f, g, o
            params.append({
                "wx": glorot_uniform(rng, (features, 4 * units), features, 4 * units),
                "wh": np.concatenate([orthogonal(rng, units, units) for _ in range(4)], axis=1),
                "b": bias,
            })
            shape = (units,)
        elif isinstance(layer, Dense):
            params.append({"w": glorot_uniform(rng, (shape[-1], layer.units), shape[-1], layer.units),
                           "b": np.zeros(layer.units, np.float32)})
            shape = (layer.units,)
        else:
            raise TypeError(layer)
    return params


def make_apply(workload):
    """apply(params, x) -> logits (the output activation is left to the loss / to predict)."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    def lstm(p, x):
        batch = x.shape[0]
        units = p["wh"].shape[0]
        xw = jnp.einsum("btf,fg->tbg", x, p["wx"]) + p["b"]

        def cell(carry, xw_t):
            h, c = carry
            z = xw_t + h @ p["wh"]
            i, f, g, o = jnp.split(z, 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), None

        zeros = jnp.zeros((batch, units), x.dtype)
        (h, _), _ = lax.scan(cell, (zeros, zeros), xw)
        return h

    layers = workload.layers

    def apply(params, x):
        for layer, p in zip(layers, params):
            if isinstance(layer, Conv2D):
                x = lax.conv_general_dilated(x, p["w"], (1, 1), layer.padding.upper(),
                                             dimension_numbers=("NHWC", "HWIO", "NHWC")) + p["b"]
            elif isinstance(layer, MaxPool2D):
                window = (1, layer.pool, layer.pool, 1)
                x = lax.reduce_window(x, -jnp.inf, lax.max, window, window, "VALID")
            elif isinstance(layer, Flatten):
                x = x.reshape(x.shape[0], -1)
            elif isinstance(layer, LSTM):
                x = lstm(p, x)
            else:
                x = x @ p["w"] + p["b"]
            if getattr(layer, "activation", None) == "relu":
                x = jax.nn.relu(x)
        return x

    return apply


def make_loss(workload, apply):
    import optax

    def loss(params, x, y):
        logits = apply(params, x)
        if workload.loss == "categorical_crossentropy":
            return optax.softmax_cross_entropy(logits, y).mean()
        if workload.loss == "binary_crossentropy":
            return optax.sigmoid_binary_cross_entropy(logits, y).mean()
        return ((logits - y) ** 2).mean()

    return loss


def output_activation(workload):
    import jax

    activation = workload.layers[-1].activation
    if activation == "softmax":
        return lambda z: jax.nn.softmax(z, axis=-1)
    if activation == "sigmoid":
        return jax.nn.sigmoid
    return lambda z: z


# ----------------------------------------------------------------------------------------------- sessions
class TrainSession:
    fit_kind = "epoch loop"
    notes = []

    def __init__(self, workload, data, ctx):
        import jax
        import optax

        warnings.filterwarnings("ignore", message="Some donated buffers were not usable")
        self.jax = jax
        apply = make_apply(workload)
        loss_fn = make_loss(workload, apply)
        optimizer = optax.adam(LEARNING_RATE)

        def train_step(params, opt_state, x, y):
            loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), opt_state, loss

        self._train_step = jax.jit(train_step, donate_argnums=(0, 1))
        self.params = jax.device_put(init_params(workload, ctx.seed))
        self.opt_state = optimizer.init(self.params)
        self.batch = data.batch
        self.x, self.y = jax.device_put(data.x_batch), jax.device_put(data.y_batch)
        jax.block_until_ready((self.params, self.opt_state, self.x, self.y))

    def _step(self, x, y):
        self.params, self.opt_state, loss = self._train_step(self.params, self.opt_state, x, y)
        return loss

    def step(self):
        return self._step(self.x, self.y)

    def sync(self, handle):
        self.jax.block_until_ready(handle)

    def loss(self, handle):
        return float(handle)

    def fit_epoch(self, x, y, labels):
        device_put, last = self.jax.device_put, None
        for start in range(0, x.shape[0], self.batch):
            end = start + self.batch
            last = self._step(device_put(x[start:end]), device_put(y[start:end]))
        self.jax.block_until_ready((last, self.params))


class PredictSession:
    def __init__(self, workload, x1, ctx):
        import jax

        self.jax = jax
        apply, activation = make_apply(workload), output_activation(workload)
        forward = jax.jit(lambda params, x: activation(apply(params, x)))
        params = jax.device_put(init_params(workload, ctx.seed))
        self.notes = ["jitted apply on a NumPy input"]
        self.calls = {"call": lambda: forward(params, x1)}

    def sync(self, handle):
        self.jax.block_until_ready(handle)


def train_session(workload, data, ctx):
    return TrainSession(workload, data, ctx)


def predict_session(workload, x1, ctx):
    return PredictSession(workload, x1, ctx)
