"""Flatten: (batch, d1, d2, ...) -> (batch, d1 * d2 * ...) in row-major (channels_last) order, eagerly and
in graphs, with unknown sizes, gradients, config round trip and the data_format check."""
import json

import numpy as np
import pytest

import nnkit
from gradcheck import check_forward, check_gradients, to_host
from nnkit import Input, layers


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (2, 1, 3, 2, 2)])
def test_flatten_matches_numpy_reshape(backend, shape):
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    (out,) = check_forward(lambda t: layers.Flatten()(t), lambda t: t.reshape(shape[0], -1), x)
    assert out.shape == (shape[0], int(np.prod(shape[1:])))


def test_rank_1_input_becomes_a_column(backend):
    out = layers.Flatten()(backend.asarray(np.arange(4, dtype=np.float32)))
    np.testing.assert_array_equal(to_host(out), np.arange(4, dtype=np.float32)[:, None])
    assert layers.Flatten().compute_output_shape((None,)) == (None, 1)


def test_symbolic_shapes():
    assert layers.Flatten()(Input(shape=(3, 4, 5))).shape == (None, 60)
    assert layers.Flatten()(Input(batch_shape=(8, 3, 4))).shape == (8, 12)
    assert layers.Flatten()(Input(shape=(None, 4))).shape == (None, None)


def test_gradient(backend):
    check_gradients(lambda t: layers.Flatten()(t), np.random.default_rng(0).standard_normal((2, 3, 2)))


def test_in_a_model_before_dense(backend):
    model = nnkit.Sequential([Input(shape=(2, 3)), layers.Flatten(), layers.Dense(4)])
    assert [type(layer) for layer in model.layers] == [layers.Flatten, layers.Dense]
    assert model.layers[0].output.shape == (None, 6)
    assert model.layers[1].kernel.shape == (6, 4)
    x = np.random.default_rng(1).standard_normal((5, 2, 3)).astype(np.float32)
    kernel, bias = model.layers[1].get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), x.reshape(5, 6) @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_channels_last_accepted_and_other_formats_rejected():
    assert layers.Flatten(data_format="channels_last").data_format == "channels_last"
    with pytest.raises(ValueError, match=r"Flatten 'flat_cf'.*channels_last.*'channels_first'"):
        layers.Flatten(data_format="channels_first", name="flat_cf")


def test_scalar_per_batch_input_is_rejected_with_layer_and_shape(backend):
    """A 0-d input has no batch axis to keep: InputSpec(min_ndim=1) names the layer and the shape."""
    layer = layers.Flatten(name="flat0")
    layer(backend.asarray(np.ones((2, 3), np.float32)))
    with pytest.raises(ValueError, match=r"'flat0'.*min_ndim=1.*\(\)"):
        layer(backend.asarray(np.float32(1.0)))


def test_config_round_trip(backend):
    layer = layers.Flatten(data_format="channels_last", name="flat_cfg")
    config = json.loads(json.dumps(layer.get_config()))
    assert config["data_format"] == "channels_last" and config["name"] == "flat_cfg"
    clone = layers.Flatten.from_config(config)
    x = backend.asarray(np.ones((2, 2, 2), np.float32))
    np.testing.assert_array_equal(to_host(clone(x)), to_host(layer(x)))
