"""GroupNormalization: per-sample normalization over groups of channels (channels last and first, instance and
layer-like extremes) against float64 NumPy references, gradients wrt input, gamma and beta against finite
differences, Keras' numbers and parameter counts, configs, shapes and errors."""
import json

import numpy as np
import pytest

import nnkit
from gradcheck import backend_params, check_float32, check_forward
from layer_checks import check_layer_gradients, keras_or_skip, matches_keras
from nnkit import layers
from nnkit.layers import GroupNormalization

RNG = np.random.default_rng(13)
EPSILON = 1e-3


def _reference(x, groups, axis, gamma, beta):
    """Group normalization with a loop over samples and groups, the channels moved last."""
    moved = np.moveaxis(x, axis, -1)
    out = np.empty_like(moved)
    size = moved.shape[-1] // groups
    for n in range(moved.shape[0]):
        for g in range(groups):
            block = moved[n, ..., g * size:(g + 1) * size]
            out[n, ..., g * size:(g + 1) * size] = (block - block.mean()) / np.sqrt(block.var() + EPSILON)
    return np.moveaxis(out * gamma + beta, -1, axis)


# (input, groups, axis)
CASES = {
    "3d-two-groups": (RNG.standard_normal((2, 3, 4)) * 2 + 1, 2, -1),
    "4d-channels-last": (RNG.standard_normal((2, 2, 2, 6)), 3, -1),
    "4d-channels-first": (RNG.standard_normal((2, 4, 2, 3)), 2, 1),
    "instance-norm": (RNG.standard_normal((2, 3, 3)), -1, -1),
    "one-group": (RNG.standard_normal((2, 3, 4)), 1, -1),
}
ON_JAX = ("4d-channels-first",)


def _float64_layer(x, groups, axis):
    layer = GroupNormalization(groups=groups, axis=axis, dtype="float64")
    layer.build((None,) + x.shape[1:])
    layer.set_weights([RNG.uniform(0.5, 1.5, w.shape) for w in layer.weights])
    return layer


@pytest.mark.parametrize("backend, case", backend_params(CASES, lambda name, _: name in ON_JAX), indirect=["backend"])
def test_output_matches_numpy_reference(backend, float64, case):
    x, groups, axis = case
    layer = _float64_layer(x, groups, axis)
    gamma, beta = layer.get_weights()
    check_forward(lambda t: layer(t), lambda t: _reference(t, layer.groups, axis % x.ndim, gamma, beta), x)


@pytest.mark.parametrize("backend, case", backend_params(CASES, lambda name, _: name in ON_JAX), indirect=["backend"])
def test_gradients_wrt_input_gamma_and_beta(backend, float64, case):
    x, groups, axis = case
    check_layer_gradients(_float64_layer(x, groups, axis), x, rtol=1e-5, atol=1e-7, jit=True)


def test_float32_in_float32_out(backend):
    layer = GroupNormalization(groups=2)
    layer.build((None, 3, 4))
    check_float32(lambda t: layer(t), CASES["3d-two-groups"][0])


def test_instance_normalization_resolves_groups_to_the_channel_count():
    layer = GroupNormalization(groups=-1)
    layer.build((None, 5, 6))
    assert layer.groups == 6 and layer.get_config()["groups"] == 6
    assert [(v.name, v.shape) for v in layer.weights] == [("gamma", (6,)), ("beta", (6,))]


def test_keras_weights_give_the_same_outputs():
    x = RNG.standard_normal((2, 3, 3, 4)).astype(np.float32)
    inits = dict(gamma_initializer="random_uniform", beta_initializer="random_normal")
    matches_keras(lambda L: [L.GroupNormalization(groups=2, **inits), L.GroupNormalization(groups=3, axis=1, **inits)],
                  x)


def test_parameter_counts_equal_keras():
    keras = keras_or_skip()

    def make(L):
        return [L.GroupNormalization(groups=2), L.GroupNormalization(groups=4, center=False)]

    reference = keras.Sequential([keras.Input(shape=(5, 8))] + make(keras.layers))
    model = nnkit.Sequential([layers.Input(shape=(5, 8))] + make(layers))
    assert model.count_params() == reference.count_params() == 16 + 8


def test_config_round_trip_and_output_shape():
    layer = GroupNormalization(groups=4, axis=1, epsilon=1e-5, scale=False, beta_regularizer="l1", name="gn_cfg")
    config = json.loads(json.dumps(layer.get_config()))
    assert config["groups"] == 4 and config["axis"] == 1 and config["scale"] is False
    clone = layers.deserialize(layers.serialize(GroupNormalization.from_config(config)))
    assert isinstance(clone, GroupNormalization) and clone.get_config() == layer.get_config()
    x = np.ones((2, 8, 3), np.float32)
    assert layer.compute_output_shape((None, 8, 3)) == (None, 8, 3) == (None,) + tuple(layer(x).shape[1:])


def test_channels_must_split_into_equal_groups():
    with pytest.raises(ValueError, match=r"GroupNormalization 'gn_split'.*6 channels.*\(2, 3, 6\).*4 groups"):
        GroupNormalization(groups=4, name="gn_split")(np.ones((2, 3, 6), np.float32))
    with pytest.raises(ValueError, match=r"8 groups"):
        GroupNormalization(groups=8).build((None, 6))


def test_bad_arguments_and_changed_channels():
    with pytest.raises(ValueError, match=r"groups must be a positive integer.*groups=0"):
        GroupNormalization(groups=0)
    with pytest.raises(TypeError, match=r"axis must be one int"):
        GroupNormalization(groups=2, axis=[1, 2])
    layer = GroupNormalization(groups=2, name="gn_channels")
    layer(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"'gn_channels'.*value 4.*\(2, 6\)"):
        layer(np.ones((2, 6), np.float32))
