"""Masking: timesteps whose features all equal mask_value are zeroed and masked out (compute_mask, and the mask
handed to the layers after it in a Sequential); gradients flow to the kept timesteps only; configs and shapes."""
import json

import numpy as np
import pytest

import nnkit
from gradcheck import backend_params, check_float32, check_forward, to_host
from nnkit import layers, ops
from nnkit.layers import Masking

RNG = np.random.default_rng(23)


def _padded(mask_value, shape=(2, 4, 3)):
    """Random timesteps with a few set entirely to mask_value, and which ones those are."""
    x = RNG.standard_normal(shape)
    padding = np.zeros(shape[:-1], bool)
    padding[0, 2:] = padding[1, 0] = True
    x[padding] = mask_value
    x[1, 1, 0] = mask_value  # one feature equal to mask_value does not mask the timestep
    return x, ~padding


CASES = {"zero": 0.0, "minus-one": -1.0}


@pytest.mark.parametrize("backend, mask_value", backend_params(CASES, lambda name, _: name == "minus-one"),
                         indirect=["backend"])
def test_masked_timesteps_are_zeroed_and_reported(backend, float64, mask_value):
    x, keep = _padded(mask_value)
    layer = Masking(mask_value=mask_value)
    check_forward(lambda t: layer(t), lambda t: np.where(keep[..., None], t, 0.0), x)
    np.testing.assert_array_equal(to_host(layer.compute_mask(backend.asarray(x))), keep)
    assert layer.supports_masking
    check_float32(lambda t: layer(t), x, grad=False)


@pytest.mark.parametrize("backend", ["numpy"], indirect=True)
def test_gradient_reaches_the_kept_timesteps_only(backend, float64):
    x, keep = _padded(-1.0)
    g = RNG.standard_normal(x.shape)
    layer = Masking(mask_value=-1.0)

    def loss(params):
        return ops.sum(ops.multiply(layer(params[0]), backend.asarray(g))), None

    (_, _), (grad,) = backend.value_and_grad(loss)([backend.asarray(x)])
    np.testing.assert_allclose(to_host(grad), np.where(keep[..., None], g, 0.0), rtol=1e-12)


def test_the_mask_reaches_the_layers_after_it_in_a_sequential():
    """Masking -> LayerNormalization -> BatchNormalization(momentum=0): the moving mean becomes the mean over
    the kept timesteps only."""
    x, keep = _padded(0.0)
    x = x.astype(np.float32)
    model = nnkit.Sequential([Masking(input_shape=(4, 3)), layers.LayerNormalization(),
                              layers.BatchNormalization(momentum=0.0)])
    model.compile(optimizer="sgd", loss="mse", backend="numpy")
    model.train_on_batch(x, np.zeros_like(x))
    normalized = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(model.layers[2].moving_mean.numpy(), normalized[keep].mean(0), rtol=1e-4, atol=1e-5)


def test_config_round_trip_and_output_shape():
    layer = Masking(mask_value=-7.5, name="pad")
    config = json.loads(json.dumps(layer.get_config()))
    assert config["mask_value"] == -7.5
    clone = layers.deserialize(layers.serialize(Masking.from_config(config)))
    assert isinstance(clone, Masking) and clone.get_config() == layer.get_config()
    assert layer.compute_output_shape((None, 5, 2)) == (None, 5, 2)
    assert layer(layers.Input(shape=(5, 2))).shape == (None, 5, 2)
    assert layer.count_params() == 0
