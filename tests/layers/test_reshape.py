"""Reshape: (batch, ...) -> (batch, *target_shape) with one -1 inferred, eagerly and in graphs; errors name
the layer and both shapes."""
import json

import numpy as np
import pytest

import nnkit
from gradcheck import check_forward, check_gradients, to_host
from nnkit import Input, layers


@pytest.mark.parametrize("target, expected", [
    ((3, 4), (2, 3, 4)),
    ((-1, 2), (2, 6, 2)),
    ((2, -1, 3), (2, 2, 2, 3)),
    ((12,), (2, 12)),
    ((-1,), (2, 12)),
])
def test_reshape_matches_numpy(backend, target, expected):
    x = np.arange(24, dtype=np.float64).reshape(2, 12)
    (out,) = check_forward(lambda t: layers.Reshape(target)(t), lambda t: t.reshape(expected), x)
    assert out.shape == expected


def test_reshape_from_higher_rank(backend):
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    check_forward(lambda t: layers.Reshape((4, 3))(t), lambda t: t.reshape(2, 4, 3), x)


def test_batch_axis_is_kept_whatever_its_size(backend):
    layer = layers.Reshape((2, 2))
    for batch in (1, 5):
        assert tuple(layer(backend.asarray(np.ones((batch, 4), np.float32))).shape) == (batch, 2, 2)


def test_symbolic_shapes():
    assert layers.Reshape((6, 2))(Input(shape=(3, 4))).shape == (None, 6, 2)
    assert layers.Reshape((-1, 2))(Input(shape=(3, 4))).shape == (None, 6, 2)
    assert layers.Reshape((-1, 4))(Input(shape=(None, 4))).shape == (None, None, 4)
    assert layers.Reshape((2, 6))(Input(batch_shape=(8, 12))).shape == (8, 2, 6)


def test_gradient(backend):
    check_gradients(lambda t: layers.Reshape((3, -1))(t), np.random.default_rng(0).standard_normal((2, 6)))


def test_in_a_model(backend):
    model = nnkit.Sequential([Input(shape=(6,)), layers.Reshape((2, 3)), layers.Dense(1)])
    assert model.outputs[0].shape == (None, 2, 1)
    x = np.arange(12, dtype=np.float32).reshape(2, 6)
    kernel, bias = model.layers[1].get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), x.reshape(2, 2, 3) @ kernel + bias, rtol=1e-5)


def test_two_unknown_axes_is_an_error_naming_the_layer():
    with pytest.raises(ValueError, match=r"Reshape 'two_unknowns': at most one axis may be -1.*\(-1, -1\)"):
        layers.Reshape((-1, -1), name="two_unknowns")


def test_size_mismatch_eager_names_layer_and_shapes(backend):
    with pytest.raises(ValueError, match=r"Reshape 'wrong_size'.*\(2, 3, 4\).*\(5,\)"):
        layers.Reshape((5,), name="wrong_size")(backend.asarray(np.ones((2, 3, 4), np.float32)))


def test_size_mismatch_symbolic_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Reshape 'wrong_graph'.*\(None, 3, 4\).*\(5, 2\)"):
        layers.Reshape((5, 2), name="wrong_graph")(Input(shape=(3, 4)))


def test_indivisible_unknown_axis_names_layer_and_shapes(backend):
    with pytest.raises(ValueError, match=r"Reshape 'indivisible'.*\(2, 7\).*\(-1, 2\)"):
        layers.Reshape((-1, 2), name="indivisible")(backend.asarray(np.ones((2, 7), np.float32)))


def test_config_round_trip(backend):
    layer = layers.Reshape([2, -1], name="reshape_cfg")
    assert layer.target_shape == (2, -1)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["target_shape"] == [2, -1]
    clone = layers.Reshape.from_config(config)
    x = backend.asarray(np.arange(8, dtype=np.float32).reshape(2, 4))
    np.testing.assert_array_equal(to_host(clone(x)), to_host(layer(x)))
