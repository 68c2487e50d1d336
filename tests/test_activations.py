"""nnkit.activations: float64 NumPy references, finite-difference gradients on every backend, stability,
float32 in and out, and lookup/serialization by every kind of identifier."""
import math

import numpy as np
import pytest

from gradcheck import backend_gradient, check_float32, check_forward, check_gradients, to_host
from nnkit import activations

_erf = np.vectorize(math.erf, otypes=[np.float64])
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

# Kept clear of every kink the activations have (0, +-3, 6 and the relu thresholds/ceilings below).
X = np.array(
    [
        [-7.3, -4.7, -2.2, -0.9, -0.35],
        [0.4, 1.3, 2.6, 3.8, 6.8],
        [4.9, -3.6, 0.75, -1.45, 2.05],
    ]
)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras 3's relu: slope * (x - threshold) up to the threshold; above it x, clipped to [0, max_value]
    when a ceiling is given (a negative threshold lets x in (threshold, 0) through unclipped)."""
    above = x if max_value is None else np.clip(x, 0.0, max_value)
    return np.where(x > threshold, above, negative_slope * (x - threshold))


REFERENCES = {
    "relu": lambda x: np.maximum(x, 0.0),
    "relu6": lambda x: np.minimum(np.maximum(x, 0.0), 6.0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "sigmoid": _sigmoid,
    "tanh": lambda x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)),
    "softmax": _softmax,
    "log_softmax": lambda x: np.log(_softmax(x)),
    "linear": lambda x: x,
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1.0),
    "selu": lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * (np.exp(x) - 1.0)),
    "softplus": lambda x: np.log(1.0 + np.exp(x)),
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0))),
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "hard_silu": lambda x: x * np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "hard_swish": lambda x: x * np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "exponential": np.exp,
    "mish": lambda x: x * np.tanh(np.log(1.0 + np.exp(x))),
}

# Activations with arguments: (callable on a backend array, NumPy reference).
VARIANTS = {
    "relu_slope": (lambda x: activations.relu(x, negative_slope=0.1), lambda x: _relu(x, 0.1)),
    "relu_max6": (lambda x: activations.relu(x, max_value=6.0), lambda x: _relu(x, max_value=6.0)),
    "relu_max": (lambda x: activations.relu(x, max_value=2.5), lambda x: _relu(x, max_value=2.5)),
    "relu_threshold": (lambda x: activations.relu(x, threshold=1.0), lambda x: _relu(x, threshold=1.0)),
    "relu_negative_threshold_slope": (
        lambda x: activations.relu(x, negative_slope=0.3, threshold=-1.0),
        lambda x: _relu(x, 0.3, threshold=-1.0),
    ),
    "relu_all": (
        lambda x: activations.relu(x, negative_slope=0.2, max_value=4.0, threshold=1.0),
        lambda x: _relu(x, 0.2, 4.0, 1.0),
    ),
    "relu_slope_max": (
        lambda x: activations.relu(x, negative_slope=0.1, max_value=3.0),
        lambda x: _relu(x, 0.1, 3.0),
    ),
    "leaky_relu_slope": (
        lambda x: activations.leaky_relu(x, negative_slope=0.01),
        lambda x: np.where(x > 0, x, 0.01 * x),
    ),
    "elu_alpha": (lambda x: activations.elu(x, alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    "gelu_tanh": (
        lambda x: activations.gelu(x, approximate=True),
        lambda x: 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3))),
    ),
    "softmax_axis0": (lambda x: activations.softmax(x, axis=0), lambda x: _softmax(x, axis=0)),
    "log_softmax_axis0": (
        lambda x: activations.log_softmax(x, axis=0),
        lambda x: np.log(_softmax(x, axis=0)),
    ),
}

ALL = {name: (getattr(activations, name), ref) for name, ref in REFERENCES.items()}
ALL.update(VARIANTS)


@pytest.mark.parametrize("name", sorted(ALL))
def test_forward_matches_float64_reference(backend, name):
    fn, ref = ALL[name]
    check_forward(fn, ref, X, rtol=1e-12, atol=1e-12)


# exp(6.8) ~ 900 makes the projected sum large, so finite differences carry ~1e-7 of rounding.
GRADIENT_ATOL = {"exponential": 1e-6}


@pytest.mark.parametrize("name", sorted(ALL))
def test_gradient_matches_finite_differences(backend, name):
    fn, _ = ALL[name]
    check_gradients(fn, X, atol=GRADIENT_ATOL.get(name, 1e-8))


@pytest.mark.parametrize("name", sorted(ALL))
def test_float32_in_float32_out(backend, name):
    fn, _ = ALL[name]
    check_float32(fn, X)


def test_relu_reference_is_keras_documented_behaviour():
    """Spot values from Keras' relu docs keep the reference itself honest."""
    x = np.array([-10.0, -5.0, 0.0, 5.0, 10.0])
    np.testing.assert_allclose(_relu(x), [0, 0, 0, 5, 10])
    np.testing.assert_allclose(_relu(x, negative_slope=0.5), [-5, -2.5, 0, 5, 10])
    np.testing.assert_allclose(_relu(x, max_value=5.0), [0, 0, 0, 5, 5])
    np.testing.assert_allclose(_relu(x, threshold=5.0), [-0.0, -0.0, 0, 0, 10])


EXTREME = np.array([[-1000.0, -100.0, -30.0, 30.0, 100.0, 1000.0]])
SMOOTH = ["sigmoid", "tanh", "softmax", "log_softmax", "elu", "selu", "softplus", "softsign", "silu", "gelu", "mish"]


@pytest.mark.parametrize("name", SMOOTH)
def test_extreme_inputs_give_finite_values_and_gradients(backend, name):
    fn = getattr(activations, name)
    for dtype in (np.float32, np.float64):
        x = EXTREME.astype(dtype)
        out = to_host(fn(backend.asarray(x)))
        assert np.all(np.isfinite(out)), f"{name}({x}) = {out}"
    value, (grad,) = backend_gradient(fn, EXTREME)
    assert np.isfinite(value) and np.all(np.isfinite(grad)), f"{name}: gradient {grad}"


def test_saturating_activations_reach_their_limits(backend):
    x = backend.asarray(np.array([-100.0, 100.0], dtype=np.float32))
    np.testing.assert_allclose(to_host(activations.sigmoid(x)), [0.0, 1.0], atol=1e-30)
    np.testing.assert_allclose(to_host(activations.softplus(x)), [0.0, 100.0], atol=1e-30)
    np.testing.assert_allclose(to_host(activations.softmax(backend.asarray(np.array([1000.0, 0.0])))), [1.0, 0.0])
    np.testing.assert_allclose(
        to_host(activations.log_softmax(backend.asarray(np.array([1000.0, 0.0])))), [0.0, -1000.0]
    )


# --- lookup and serialization ----------------------------------------------------------------------
def test_get_none_is_linear():
    assert activations.get(None) is activations.linear


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_get_by_name_and_serialize_round_trip(name):
    fn = activations.get(name)
    assert fn is getattr(activations, name)
    assert activations.get(activations.serialize(fn)) is fn


def test_aliases_share_one_function_and_one_name():
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.hard_swish) == "hard_silu"
    assert activations.serialize(activations.relu) == "relu"


def test_get_passes_callables_through():
    def custom(x):
        return x

    assert activations.get(custom) is custom


@pytest.mark.parametrize(
    "config",
    [
        {"class_name": "function", "config": "gelu"},
        {"module": "keras.activations", "class_name": "function", "config": "gelu", "registered_name": None},
    ],
)
def test_get_keras_config_dict(config):
    assert activations.get(config) is activations.gelu
    assert activations.deserialize(config) is activations.gelu


def test_unknown_name_suggests_close_matches_and_lists_valid_names():
    with pytest.raises(ValueError) as error:
        activations.get("rleu")
    message = str(error.value)
    assert "'rleu'" in message and "Did you mean" in message and "'relu'" in message
    assert "softplus" in message and "hard_swish" in message


@pytest.mark.parametrize("bad", [42, {"class_name": "function"}, {"config": {"x": 1}}])
def test_uninterpretable_identifiers_raise(bad):
    with pytest.raises(ValueError):
        activations.get(bad)


def test_serialize_rejects_unregistered_functions():
    with pytest.raises(ValueError, match="built-in"):
        activations.serialize(lambda x: x)
