"""LayerNormalization: per-sample normalization over the feature axes (also several axes, and Keras' rms_scaling)
against float64 NumPy references, gradients wrt input, gamma and beta against finite differences, Keras' numbers
and parameter counts, configs, shapes and errors."""
import json

import numpy as np
import pytest

import nnkit
from gradcheck import backend_params, check_float32, check_forward
from layer_checks import check_layer_gradients, keras_or_skip, matches_keras
from nnkit import layers
from nnkit.layers import LayerNormalization

RNG = np.random.default_rng(11)
EPSILON = 1e-3


def _reference(x, axes, gamma=None, beta=None, rms_scaling=False):
    mean, variance = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    out = (x if rms_scaling else x - mean) / np.sqrt(variance + EPSILON)
    if gamma is not None:
        out = out * gamma.reshape(shape)
    return out if beta is None else out + beta.reshape(shape)


# (input, axis argument, axes as non-negative ints, constructor keywords)
CASES = {
    "2d": (RNG.standard_normal((3, 5)) * 3 + 2, -1, (1,), {}),
    "3d": (RNG.standard_normal((2, 3, 4)), -1, (2,), {}),
    "3d-two-axes": (RNG.standard_normal((2, 3, 4)), [1, 2], (1, 2), {}),
    "4d-axis-1": (RNG.standard_normal((2, 3, 2, 2)), 1, (1,), {}),
    "rms-scaling": (RNG.standard_normal((3, 4)) + 1, -1, (1,), {"rms_scaling": True}),
    "no-center": (RNG.standard_normal((3, 4)), -1, (1,), {"center": False}),
    "no-scale": (RNG.standard_normal((3, 4)), -1, (1,), {"scale": False}),
}
ON_JAX = ("3d-two-axes",)


def _float64_layer(x, axis, **kwargs):
    """A float64 LayerNormalization built for x, with random gamma and beta."""
    layer = LayerNormalization(axis=axis, dtype="float64", **kwargs)
    layer.build((None,) + x.shape[1:])
    layer.set_weights([RNG.uniform(0.5, 1.5, w.shape) for w in layer.weights])
    return layer


@pytest.mark.parametrize("backend, case", backend_params(CASES, lambda name, _: name in ON_JAX), indirect=["backend"])
def test_output_matches_numpy_reference(backend, float64, case):
    x, axis, axes, kwargs = case
    layer = _float64_layer(x, axis, **kwargs)
    gamma = None if layer.gamma is None else layer.gamma.numpy()
    beta = None if layer.beta is None else layer.beta.numpy()
    check_forward(lambda t: layer(t), lambda t: _reference(t, axes, gamma, beta, kwargs.get("rms_scaling")), x)


@pytest.mark.parametrize("backend, case", backend_params(CASES, lambda name, _: name in ON_JAX), indirect=["backend"])
def test_gradients_wrt_input_gamma_and_beta(backend, float64, case):
    x, axis, _, kwargs = case
    layer = _float64_layer(x, axis, **kwargs)
    check_layer_gradients(layer, x, rtol=1e-5, atol=1e-7, jit=True)


def test_float32_in_float32_out(backend):
    layer = LayerNormalization()
    layer.build((None, 5))
    check_float32(lambda t: layer(t), CASES["2d"][0])


def test_weights_follow_keras():
    layer = LayerNormalization(axis=[1, 2])
    layer.build((None, 3, 4))
    assert [(v.name, v.shape) for v in layer.weights] == [("gamma", (3, 4)), ("beta", (3, 4))]
    rms = LayerNormalization(rms_scaling=True)
    rms.build((None, 4))
    assert [v.name for v in rms.weights] == ["gamma"]


RMS_DEPRECATION = pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")


@RMS_DEPRECATION
def test_keras_weights_give_the_same_outputs_with_and_without_rms_scaling():
    x = RNG.standard_normal((3, 4, 5)).astype(np.float32) + 0.5
    inits = dict(gamma_initializer="random_uniform", beta_initializer="random_normal")
    matches_keras(lambda L: [L.LayerNormalization(axis=[1, 2], epsilon=1e-4, **inits),
                             L.LayerNormalization(rms_scaling=True, **inits)], x)


@RMS_DEPRECATION
def test_parameter_counts_equal_keras():
    keras = keras_or_skip()

    def make(L):
        return [L.LayerNormalization(axis=[1, 2]), L.LayerNormalization(center=False),
                L.LayerNormalization(rms_scaling=True)]

    reference = keras.Sequential([keras.Input(shape=(3, 4))] + make(keras.layers))
    model = nnkit.Sequential([layers.Input(shape=(3, 4))] + make(layers))
    assert model.count_params() == reference.count_params() == 24 + 4 + 4


def test_config_round_trip_and_output_shape():
    layer = LayerNormalization(axis=[-2, -1], epsilon=1e-5, rms_scaling=True, gamma_regularizer="l2", name="ln_cfg")
    config = json.loads(json.dumps(layer.get_config()))
    assert config["axis"] == [-2, -1] and config["rms_scaling"] is True and config["epsilon"] == 1e-5
    clone = layers.deserialize(layers.serialize(LayerNormalization.from_config(config)))
    assert isinstance(clone, LayerNormalization) and clone.get_config() == layer.get_config()
    x = np.ones((2, 3, 4), np.float32)
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4) == (None,) + tuple(layer(x).shape[1:])


def test_errors_name_the_layer_and_the_values():
    with pytest.raises(ValueError, match=r"LayerNormalization 'ln_axis': axis 2 is out of bounds.*\(2, 4\)"):
        LayerNormalization(axis=2, name="ln_axis")(np.ones((2, 4), np.float32))
    layer = LayerNormalization(name="ln_width")
    layer(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"'ln_width'.*value 4.*\(2, 5\)"):
        layer(np.ones((2, 5), np.float32))
    with pytest.raises(TypeError, match="axis must be an int or a list of ints"):
        LayerNormalization(axis=1.5)
