"""Conv1DTranspose, Conv2DTranspose, Conv3DTranspose: outputs against the scatter reference (strides, dilation,
valid/same, output_padding, channels_first), gradients against central differences, kernel layout
(*kernel_size, filters, channels), output shapes, configs and errors (Keras 3's numbers: test_matches_keras.py)."""
import json

import numpy as np
import pytest

import conv_reference as ref
from gradcheck import backend_params, check_forward
from layer_checks import check_layer_gradients
from nnkit import layers
from nnkit.layers import Conv1DTranspose, Conv2DTranspose, Conv3DTranspose

RNG = np.random.default_rng(5)

CASES = {
    "1d-valid-dilated": (lambda: Conv1DTranspose(3, 3, dilation_rate=2), (2, 4, 2), {"dilation_rate": 2}),
    "2d-same-stride2": (lambda: Conv2DTranspose(3, 3, strides=2, padding="same"), (2, 3, 3, 2),
                        {"strides": 2, "padding": "same"}),
    "2d-valid-output-padding": (lambda: Conv2DTranspose(2, (3, 2), strides=(2, 3), output_padding=(1, 2)),
                                (1, 3, 2, 2), {"strides": (2, 3), "output_padding": (1, 2)}),
    "3d-same-output-padding": (lambda: Conv3DTranspose(2, 2, strides=2, padding="same", output_padding=1),
                               (1, 2, 2, 3, 2), {"strides": 2, "padding": "same", "output_padding": 1}),
}


def _layer(name):
    make, shape, options = CASES[name]
    layer = type(make()).from_config({**make().get_config(), "dtype": "float64", "activation": "tanh"})
    kernel, bias = ref.built_with_random_weights(layer, shape)
    return layer, shape, lambda x: np.tanh(ref.conv_transpose(x, kernel, **options) + bias)


@pytest.mark.parametrize("backend, name", backend_params({n: n for n in CASES}, lambda n, _: n == "2d-same-stride2"),
                         indirect=["backend"])
def test_output_and_gradients(backend, float64, name):
    layer, shape, reference = _layer(name)
    x = RNG.standard_normal(shape)
    (out,) = check_forward(lambda t: layer(t), reference, x)
    assert layer.compute_output_shape(shape) == out.shape
    check_layer_gradients(layer, x, jit=not backend.uses_tape)


def test_channels_first_equals_channels_last(float64):
    layer = Conv2DTranspose(3, 2, strides=2, data_format="channels_first", dtype="float64")
    kernel, bias = ref.built_with_random_weights(layer, (1, 2, 3, 2))
    assert kernel.shape == (2, 2, 3, 2)
    check_forward(lambda t: layer(t),
                  lambda t: np.moveaxis(ref.conv_transpose(np.moveaxis(t, 1, -1), kernel, strides=2) + bias, -1, 1),
                  RNG.standard_normal((1, 2, 3, 2)))


def test_float32_in_float32_out(backend):
    out = Conv2DTranspose(2, 3, strides=2)(backend.asarray(np.ones((1, 3, 3, 2), np.float32)))
    assert np.dtype(out.dtype) == np.float32 and tuple(out.shape) == (1, 7, 7, 2)


def test_unknown_spatial_axes_and_config():
    layer = Conv2DTranspose(4, 3, strides=(2, 1), padding="same", name="up")
    assert layer(layers.Input(shape=(None, 5, 3))).shape == (None, None, 5, 4)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["output_padding"] is None and config["strides"] == [2, 1]
    clone = layers.deserialize(layers.serialize(layer))
    assert isinstance(clone, Conv2DTranspose) and clone.get_config() == layer.get_config()
    assert layers.Convolution2DTranspose is Conv2DTranspose and layers.Convolution3DTranspose is Conv3DTranspose


def test_output_padding_must_be_smaller_than_strides():
    with pytest.raises(ValueError, match=r"Conv2DTranspose 'up2'.*output_padding=\(2, 2\) and strides=\(2, 2\)"):
        Conv2DTranspose(2, 3, strides=2, output_padding=2, name="up2")
