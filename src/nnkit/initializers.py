"""Weight initializers with Keras 3 names, defaults and formulas.

Every initializer draws on the host with NumPy (seeded through `nnkit.random.host_rng`),
so the same seed gives bit-identical initial weights on every backend.
"""
import math

import numpy as np

from nnkit.catalog import Catalog
from nnkit.config import floatx
from nnkit.random import host_rng

# Keras' stddev correction so a normal truncated at 2 std keeps the intended variance.
_TRUNCATION_CORRECTION = 0.87962566103423978


def _dtype(dtype):
    """The NumPy dtype for `dtype`; None means the default float type (float32)."""
    return np.dtype(floatx() if dtype is None else dtype)


def _float_dtype(dtype):
    """Like `_dtype`, but random draws only make sense for float types."""
    dtype = _dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(f"Random initializers need a float dtype; received dtype={dtype}")
    return dtype


def _truncated_normal(rng, shape, mean, stddev):
    """Normal draws with anything beyond 2 stddev from the mean re-drawn, as Keras does."""
    z = rng.standard_normal(shape)
    outside = np.abs(z) > 2.0
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2.0
    return mean + stddev * z


def compute_fans(shape):
    """(fan_in, fan_out) of a weight shape; conv kernels (..., in, out) count the receptive field."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


class Initializer:
    """Base class: a callable `(shape, dtype=None) -> np.ndarray` that can be saved as a config."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None)")

    def get_config(self):
        """The constructor arguments that rebuild this initializer."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild an initializer from `get_config()` output."""
        return cls(**config)


class Zeros(Initializer):
    """All zeros (the usual bias initializer)."""

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=_dtype(dtype))


class Ones(Initializer):
    """All ones (e.g. normalization scales)."""

    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=_dtype(dtype))


class Constant(Initializer):
    """Every entry set to `value`."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class _RandomInitializer(Initializer):
    """Shared seed handling: an int seed repeats its draws, None takes the next global seed per call."""

    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise ValueError(f"`seed` must be an integer or None; received seed={seed!r}")
        self.seed = seed

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(_RandomInitializer):
    """Normal draws with the given mean and stddev."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype)
        return host_rng(self.seed).normal(self.mean, self.stddev, shape).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomUniform(_RandomInitializer):
    """Uniform draws in [minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype)
        return host_rng(self.seed).uniform(self.minval, self.maxval, shape).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class TruncatedNormal(_RandomInitializer):
    """Normal draws with values more than 2 stddev from the mean re-drawn."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype)
        return _truncated_normal(host_rng(self.seed), shape, self.mean, self.stddev).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class VarianceScaling(_RandomInitializer):
    """Draws with variance `scale / n`, n being fan_in, fan_out or their mean (the Glorot/He/LeCun family)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if scale <= 0.0:
            raise ValueError(f"`scale` must be a positive float; received scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"`mode` must be 'fan_in', 'fan_out' or 'fan_avg'; received mode={mode!r}")
        distribution = distribution.lower()
        if distribution == "normal":  # Keras' legacy spelling
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                "`distribution` must be 'truncated_normal', 'untruncated_normal' or 'uniform'; "
                f"received distribution={distribution!r}"
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = host_rng(self.seed)
        if self.distribution == "truncated_normal":
            values = _truncated_normal(rng, shape, 0.0, math.sqrt(variance) / _TRUNCATION_CORRECTION)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(variance), shape)
        else:
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, shape)
        return values.astype(dtype)

    def get_config(self):
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            **super().get_config(),
        }


class _VarianceScalingPreset(VarianceScaling):
    """A VarianceScaling with fixed arguments (`_preset`); only the seed is configurable."""

    _preset = {}

    def __init__(self, seed=None):
        super().__init__(seed=seed, **self._preset)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_VarianceScalingPreset):
    """Glorot/Xavier uniform: U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out))."""

    _preset = {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}


class GlorotNormal(_VarianceScalingPreset):
    """Glorot/Xavier normal: truncated normal with stddev sqrt(2 / (fan_in + fan_out))."""

    _preset = {"scale": 1.0, "mode": "fan_avg", "distribution": "truncated_normal"}


class HeUniform(_VarianceScalingPreset):
    """He uniform (for ReLU nets): U(-limit, limit) with limit = sqrt(6 / fan_in)."""

    _preset = {"scale": 2.0, "mode": "fan_in", "distribution": "uniform"}


class HeNormal(_VarianceScalingPreset):
    """He normal (for ReLU nets): truncated normal with stddev sqrt(2 / fan_in)."""

    _preset = {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}


class LecunUniform(_VarianceScalingPreset):
    """LeCun uniform: U(-limit, limit) with limit = sqrt(3 / fan_in)."""

    _preset = {"scale": 1.0, "mode": "fan_in", "distribution": "uniform"}


class LecunNormal(_VarianceScalingPreset):
    """LeCun normal (for SELU nets): truncated normal with stddev sqrt(1 / fan_in)."""

    _preset = {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}


class Orthogonal(_RandomInitializer):
    """An orthogonal matrix (QR of a normal matrix), reshaped from (prod(shape[:-1]), shape[-1])."""

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype)
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal needs a shape of rank 2 or more; received shape={shape} of rank {len(shape)}"
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = host_rng(self.seed).standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))  # makes the result uniformly distributed over orthogonal matrices
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype)

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only; non-square gives a rectangular eye)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity can only initialize 2-D matrices; received shape={shape}")
        return (self.gain * np.eye(*shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


_CLASSES = (
    Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
    GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal, Identity,
)


# Keras' lowercase aliases: the classes under snake_case names.
zeros, ones, constant, identity, orthogonal = Zeros, Ones, Constant, Identity, Orthogonal
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, glorot_uniform, glorot_normal = VarianceScaling, GlorotUniform, GlorotNormal
he_uniform, he_normal, lecun_uniform, lecun_normal = HeUniform, HeNormal, LecunUniform, LecunNormal

# Class names, their snake_case forms, and the aliases Keras keeps for older code.
_CATALOG = Catalog(Initializer, _CLASSES, "initializer", aliases={
    "uniform": RandomUniform, "normal": RandomNormal, "one": Ones, "zero": Zeros, "OrthogonalInitializer": Orthogonal,
    "IdentityInitializer": Identity,
})
get, serialize, deserialize = _CATALOG.get, _CATALOG.serialize, _CATALOG.deserialize
