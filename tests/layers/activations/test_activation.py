"""Activation layer: every Keras activation name against a float64 NumPy reference, on every backend,
callables, gradients through the layer, shapes in graphs, config round trips and errors."""
import json
import math

import numpy as np
import pytest

from gradcheck import check_forward, check_gradients, to_host
from nnkit import Input, activations, layers, ops

_erf = np.vectorize(math.erf, otypes=[np.float64])
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

# Away from every kink (0, +-3, 6).
X = np.array([[-7.3, -4.7, -2.2, -0.9, -0.35], [0.4, 1.3, 2.6, 3.8, 6.8]])


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _hard_sigmoid(x):
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


KERAS_ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0.0),
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softmax": _softmax,
    "log_softmax": lambda x: np.log(_softmax(x)),
    "linear": lambda x: x,
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(x)),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0))),
    "hard_sigmoid": _hard_sigmoid,
    "hard_silu": lambda x: x * _hard_sigmoid(x),
    "hard_swish": lambda x: x * _hard_sigmoid(x),
    "exponential": np.exp,
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
}
# nnkit.activations' own tests check every activation's gradient; here a few confirm the layer passes them on.
SMOOTH = ["tanh", "softmax", "elu", "leaky_relu"]


def test_every_registered_activation_name_is_covered():
    """A new activation in nnkit.activations must get a reference here."""
    assert set(activations._BY_NAME) == set(KERAS_ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(KERAS_ACTIVATIONS))
def test_activation_by_name_matches_numpy_reference(backend, name):
    layer = layers.Activation(name)
    check_forward(lambda x: layer(x), KERAS_ACTIVATIONS[name], X, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(KERAS_ACTIVATIONS))
def test_activation_keeps_shape_and_float32(backend, name):
    x3 = backend.asarray(np.linspace(-2, 2, 24, dtype=np.float32).reshape(2, 3, 4))
    out = layers.Activation(name)(x3)
    assert tuple(out.shape) == (2, 3, 4)
    assert np.dtype(out.dtype) == np.float32


@pytest.mark.parametrize("name", SMOOTH)
def test_gradient_through_the_layer(backend, name):
    layer = layers.Activation(name)
    check_gradients(lambda x: layer(x), X[:, ::2] / 2.0)


def test_softmax_rows_sum_to_one(backend):
    out = to_host(layers.Activation("softmax")(backend.asarray(X.astype(np.float32))))
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-6)


def test_callable_activation(backend):
    layer = layers.Activation(lambda x: ops.multiply(x, 3.0))
    np.testing.assert_allclose(to_host(layer(backend.asarray(X))), 3.0 * X)


def test_config_dict_activation(backend):
    layer = layers.Activation({"class_name": "function", "config": "tanh"})
    assert layer.activation is activations.tanh
    assert layer.get_config()["activation"] == "tanh"


def test_symbolic_output_shape():
    assert layers.Activation("relu")(Input(shape=(None, 7))).shape == (None, None, 7)


@pytest.mark.parametrize("name", sorted(KERAS_ACTIVATIONS))
def test_config_round_trip(backend, name):
    layer = layers.Activation(name, name=f"act_{name}")
    config = json.loads(json.dumps(layer.get_config()))
    clone = layers.Activation.from_config(config)
    assert clone.name == f"act_{name}"
    assert clone.activation is layer.activation
    np.testing.assert_allclose(to_host(clone(backend.asarray(X))), to_host(layer(backend.asarray(X))))


def test_aliases_serialize_to_the_canonical_name():
    assert layers.Activation("swish").get_config()["activation"] == "silu"
    assert layers.Activation("hard_swish").get_config()["activation"] == "hard_silu"


def test_unknown_name_is_a_value_error_with_a_suggestion():
    with pytest.raises(ValueError, match=r"Unknown activation 'tahn'.*'tanh'"):
        layers.Activation("tahn")


def test_custom_callable_cannot_be_serialized():
    layer = layers.Activation(lambda x: x)
    with pytest.raises(ValueError, match="Cannot serialize activation"):
        layer.get_config()
