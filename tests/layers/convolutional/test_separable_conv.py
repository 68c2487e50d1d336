"""SeparableConv1D, SeparableConv2D: a depthwise convolution then a pointwise one, against the loop references;
gradients wrt the input and all three weights; configs (Keras 3's numbers: test_matches_keras.py)."""
import json

import numpy as np
import pytest

import conv_reference as ref
from gradcheck import backend_params, check_forward
from layer_checks import check_layer_gradients
from nnkit import layers
from nnkit.layers import SeparableConv1D, SeparableConv2D

RNG = np.random.default_rng(13)

CASES = {
    "1d-same-stride2": (lambda: SeparableConv1D(3, 3, strides=2, padding="same", depth_multiplier=2),
                                    (2, 7, 2), {"strides": 2, "padding": "same"}),
    "2d-dilated": (lambda: SeparableConv2D(4, 2, dilation_rate=2, depth_multiplier=2), (1, 5, 5, 2),
                   {"dilation_rate": 2}),
}


@pytest.mark.parametrize("backend, name", backend_params({n: n for n in CASES}, lambda n, _: n == "2d-dilated"),
                         indirect=["backend"])
def test_output_and_gradients(backend, float64, name):
    make, shape, options = CASES[name]
    layer = type(make()).from_config({**make().get_config(), "dtype": "float64", "activation": "tanh"})
    depthwise, pointwise, bias = ref.built_with_random_weights(layer, shape)
    x = RNG.standard_normal(shape)
    def reference(t):
        return np.tanh(ref.conv(ref.depthwise_conv(t, depthwise, **options), pointwise) + bias)

    (out,) = check_forward(lambda t: layer(t), reference, x)
    assert layer.compute_output_shape(shape) == out.shape
    check_layer_gradients(layer, x, jit=not backend.uses_tape)


def test_config_round_trip_and_aliases():
    layer = SeparableConv2D(5, (3, 2), strides=2, depth_multiplier=2, pointwise_initializer="zeros",
                            pointwise_regularizer="l2", use_bias=False, name="sep")
    config = json.loads(json.dumps(layer.get_config()))
    assert config["filters"] == 5 and config["pointwise_initializer"]["class_name"] == "Zeros"
    clone = layers.deserialize(layers.serialize(layer))
    assert isinstance(clone, SeparableConv2D) and clone.get_config() == layer.get_config()
    assert layers.SeparableConvolution2D is SeparableConv2D and layers.SeparableConvolution1D is SeparableConv1D
    assert layer(layers.Input(shape=(None, 8, 3))).shape == (None, None, 4, 5)
    assert [v.name for v in layer.weights] == ["depthwise_kernel", "pointwise_kernel"]
