"""The benchmark workloads: model shapes, losses, batch sizes, per-device run plans and synthetic data.

Every framework runner builds its model from the same neutral layer list below, so the shapes can never
drift apart between frameworks. All workloads train with Adam(lr=1e-3) in float32, channels_last.
"""
from dataclasses import dataclass, field, replace

import numpy as np

LEARNING_RATE = 1e-3
ADAM_BETA_1 = 0.9
ADAM_BETA_2 = 0.999
ADAM_EPSILON = 1e-7  # Keras' default; torch/optax keep their own defaults (1e-8), a negligible difference


# ----------------------------------------------------------------------------------------------- layers
@dataclass(frozen=True)
class Dense:
    units: int
    activation: str | None = None  # 'relu', 'softmax', 'sigmoid' or None


@dataclass(frozen=True)
class Conv2D:
    filters: int
    kernel: int = 3
    padding: str = "same"
    activation: str | None = "relu"


@dataclass(frozen=True)
class MaxPool2D:
    pool: int = 2


@dataclass(frozen=True)
class Flatten:
    pass


@dataclass(frozen=True)
class LSTM:
    units: int


# ----------------------------------------------------------------------------------------------- plans
@dataclass(frozen=True)
class Plan:
    """How much work one measurement does.

    steps:       training steps per timed block (the step time is block time / steps)
    repeats:     timed blocks; the reported step time is their median
    warmup:      untimed steps before timing (the first one is reported as the warm-up/compile time)
    fit_batches: batches in the epoch that fit() (or the hand-written epoch loop) runs over
    fit_repeats: timed epochs; the reported throughput uses their median
    batch:       the training batch size (may differ from the workload's nominal one, e.g. `wide` on CPU)
    predict_time_s: for `predict`, the target duration of one timed block (iterations are sized to it)
    """

    steps: int
    repeats: int
    warmup: int
    fit_batches: int
    fit_repeats: int
    batch: int
    predict_time_s: float = 0.25


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    input_shape: tuple
    layers: tuple
    loss: str  # 'categorical_crossentropy' | 'binary_crossentropy' | 'mse'
    batch: int
    plans: dict = field(default_factory=dict)  # device -> Plan
    is_predict: bool = False
    numpy_loop: bool = False  # whether the hand-written NumPy loop implements it

    @property
    def output_units(self):
        return self.layers[-1].units

    def plan(self, device, steps=None, repeats=None, warmup=None, fit_batches=None, batch=None):
        """The run plan for `device`, with any command-line overrides applied."""
        plan = self.plans[device]
        overrides = {
            key: value
            for key, value in dict(
                steps=steps, repeats=repeats, warmup=warmup, fit_batches=fit_batches, batch=batch
            ).items()
            if value is not None
        }
        return replace(plan, **overrides)

    def dense_sizes(self):
        """(in, out) of every Dense layer of a pure dense stack (None if the model has other layers)."""
        if not all(isinstance(layer, Dense) for layer in self.layers):
            return None
        sizes, fan_in = [], int(np.prod(self.input_shape))
        for layer in self.layers:
            sizes.append((fan_in, layer.units))
            fan_in = layer.units
        return sizes

    def train_flops(self, batch):
        """FLOPs of one training step of a dense stack: 3 x forward matmuls = 6 * batch * sum(in*out)."""
        sizes = self.dense_sizes()
        if sizes is None:
            return None
        return 6.0 * batch * sum(i * o for i, o in sizes)


_MLP_LAYERS = (Dense(512, "relu"), Dense(512, "relu"), Dense(10, "softmax"))

WORKLOADS = {
    "mlp": Workload(
        name="mlp",
        description="784-512(relu)-512(relu)-10(softmax), categorical crossentropy, batch 128",
        input_shape=(784,),
        layers=_MLP_LAYERS,
        loss="categorical_crossentropy",
        batch=128,
        numpy_loop=True,
        plans={
            "cpu": Plan(steps=20, repeats=5, warmup=3, fit_batches=16, fit_repeats=3, batch=128),
            "gpu": Plan(steps=300, repeats=5, warmup=5, fit_batches=200, fit_repeats=3, batch=128),
        },
    ),
    "cnn": Workload(
        name="cnn",
        description="32x32x3 -> 2x Conv2D 32 -> MaxPool -> 2x Conv2D 64 -> MaxPool -> Dense 256 -> Dense 10, batch 128",
        input_shape=(32, 32, 3),
        layers=(
            Conv2D(32), Conv2D(32), MaxPool2D(2),
            Conv2D(64), Conv2D(64), MaxPool2D(2),
            Flatten(), Dense(256, "relu"), Dense(10, "softmax"),
        ),
        loss="categorical_crossentropy",
        batch=128,
        plans={
            "cpu": Plan(steps=2, repeats=3, warmup=1, fit_batches=3, fit_repeats=1, batch=128),
            "gpu": Plan(steps=30, repeats=5, warmup=3, fit_batches=50, fit_repeats=3, batch=128),
        },
    ),
    "lstm": Workload(
        name="lstm",
        description="50 steps x 32 features -> LSTM(128) -> Dense(1, sigmoid), binary crossentropy, batch 64",
        input_shape=(50, 32),
        layers=(LSTM(128), Dense(1, "sigmoid")),
        loss="binary_crossentropy",
        batch=64,
        plans={
            "cpu": Plan(steps=5, repeats=3, warmup=2, fit_batches=5, fit_repeats=1, batch=64),
            "gpu": Plan(steps=30, repeats=5, warmup=3, fit_batches=50, fit_repeats=3, batch=64),
        },
    ),
    "wide": Workload(
        name="wide",
        description="4096 -> 4x Dense(4096, relu) -> Dense(4096), MSE, batch 4096 (CPU default batch 512)",
        input_shape=(4096,),
        layers=(Dense(4096, "relu"),) * 4 + (Dense(4096),),
        loss="mse",
        batch=4096,
        numpy_loop=True,
        plans={
            # A batch-4096 step is ~2 TFLOP: ~12 s on a 2-core CPU. The CPU default trains on 512-sample
            # batches instead (pass --wide-batch 4096 for the nominal size).
            "cpu": Plan(steps=1, repeats=2, warmup=1, fit_batches=2, fit_repeats=1, batch=512),
            "gpu": Plan(steps=10, repeats=5, warmup=2, fit_batches=8, fit_repeats=3, batch=4096),
        },
    ),
    "predict": Workload(
        name="predict",
        description="latency of the mlp on a batch of 1 (model(x), predict_on_batch, predict)",
        input_shape=(784,),
        layers=_MLP_LAYERS,
        loss="categorical_crossentropy",
        batch=1,
        is_predict=True,
        numpy_loop=True,
        plans={
            "cpu": Plan(steps=0, repeats=5, warmup=5, fit_batches=0, fit_repeats=0, batch=1, predict_time_s=0.2),
            "gpu": Plan(steps=0, repeats=5, warmup=5, fit_batches=0, fit_repeats=0, batch=1, predict_time_s=0.2),
        },
    ),
}

WORKLOAD_ORDER = ("mlp", "cnn", "lstm", "wide", "predict")


# ----------------------------------------------------------------------------------------------- data
@dataclass
class Data:
    """Host (NumPy, float32) arrays for one workload.

    x, y:       the whole fit() epoch (fit_batches * batch samples); the timed step trains on x[:batch]
    labels:     integer class ids of y for the classification workloads (torch's cross_entropy wants them)
    """

    x: np.ndarray
    y: np.ndarray
    labels: np.ndarray | None
    batch: int

    @property
    def x_batch(self):
        return self.x[: self.batch]

    @property
    def y_batch(self):
        return self.y[: self.batch]

    @property
    def labels_batch(self):
        return None if self.labels is None else self.labels[: self.batch]


def keras_style_stack(layers, workload):
    """The workload as the layer list for `Sequential`, built with a Keras-style `layers` module (Keras' own
    or nnkit's: both take the same calls)."""
    stack = [layers.Input(shape=tuple(workload.input_shape))]
    for layer in workload.layers:
        if isinstance(layer, Conv2D):
            stack.append(layers.Conv2D(layer.filters, layer.kernel, padding=layer.padding, activation=layer.activation))
        elif isinstance(layer, MaxPool2D):
            stack.append(layers.MaxPooling2D(layer.pool))
        elif isinstance(layer, Flatten):
            stack.append(layers.Flatten())
        elif isinstance(layer, LSTM):
            stack.append(layers.LSTM(layer.units))
        elif isinstance(layer, Dense):
            stack.append(layers.Dense(layer.units, activation=layer.activation))
        else:
            raise TypeError(f"unknown workload layer {layer!r}")
    return stack


def make_data(workload, n_samples, batch, seed=0):
    """Synthetic, learnable data: random inputs and labels produced by a fixed random 'teacher'.

    The task is learnable so that the loss visibly falls over a few steps, which the suite reports as a
    sanity check that every implementation really trains.
    """
    rng = np.random.default_rng(seed)
    n_samples = max(int(n_samples), int(batch))
    x = rng.standard_normal((n_samples,) + tuple(workload.input_shape), dtype=np.float32)
    labels = None
    if workload.loss == "categorical_crossentropy":
        features = x.reshape(n_samples, -1)
        if workload.name == "cnn":  # a teacher on 4x4-pooled images keeps the label cheap to compute
            features = x.reshape(n_samples, 8, 4, 8, 4, 3).mean(axis=(2, 4)).reshape(n_samples, -1)
        teacher = rng.standard_normal((features.shape[1], workload.output_units), dtype=np.float32)
        labels = np.argmax(features @ teacher, axis=1)
        y = np.eye(workload.output_units, dtype=np.float32)[labels]
    elif workload.loss == "binary_crossentropy":
        teacher = rng.standard_normal(workload.input_shape[-1], dtype=np.float32)
        y = (x.mean(axis=1) @ teacher > 0).astype(np.float32)[:, None]
    else:  # mse: a fixed linear map (a permutation, scaled) that the dense stack can learn
        y = 0.5 * np.roll(x.reshape(n_samples, -1), 1, axis=1)
        y = y[:, : workload.output_units].astype(np.float32)
    return Data(x=np.ascontiguousarray(x), y=np.ascontiguousarray(y), labels=labels, batch=int(batch))
