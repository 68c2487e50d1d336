"""DepthwiseConv1D, DepthwiseConv2D: channel c convolved with its own depth_multiplier filters (output channel
c * multiplier + m), against the loop reference; gradients; configs and errors (Keras 3's numbers and kernel layout:
test_matches_keras.py)."""
import json

import numpy as np
import pytest

import conv_reference as ref
from gradcheck import backend_params, check_forward
from layer_checks import check_layer_gradients
from nnkit import layers
from nnkit.layers import DepthwiseConv1D, DepthwiseConv2D

RNG = np.random.default_rng(11)

CASES = {
    "1d-same-multiplier2": (lambda: DepthwiseConv1D(3, padding="same", depth_multiplier=2), (2, 5, 3),
                            {"padding": "same"}),
    "2d-stride2": (lambda: DepthwiseConv2D(3, strides=2, depth_multiplier=2), (2, 6, 5, 2), {"strides": 2}),
    "2d-dilated-same": (lambda: DepthwiseConv2D((2, 3), padding="same", dilation_rate=2), (1, 5, 5, 3),
                        {"padding": "same", "dilation_rate": 2}),
}


# On JAX the depthwise kernel runs as the grouped convolution of tests/ops and inside SeparableConv2D's case.
@pytest.mark.parametrize("backend, name", backend_params({n: n for n in CASES}, lambda n, _: False),
                         indirect=["backend"])
def test_output_and_gradients(backend, float64, name):
    make, shape, options = CASES[name]
    layer = type(make()).from_config({**make().get_config(), "dtype": "float64"})
    kernel, bias = ref.built_with_random_weights(layer, shape)
    x = RNG.standard_normal(shape)
    (out,) = check_forward(lambda t: layer(t), lambda t: ref.depthwise_conv(t, kernel, **options) + bias, x)
    assert layer.compute_output_shape(shape) == out.shape
    check_layer_gradients(layer, x, jit=not backend.uses_tape)


def test_config_round_trip_and_errors():
    layer = DepthwiseConv2D(3, depth_multiplier=3, depthwise_initializer="ones", depthwise_regularizer="l1",
                            data_format="channels_first", name="dw")
    config = json.loads(json.dumps(layer.get_config()))
    assert config["depth_multiplier"] == 3 and config["depthwise_initializer"]["class_name"] == "Ones"
    clone = layers.deserialize(layers.serialize(layer))
    assert isinstance(clone, DepthwiseConv2D) and clone.get_config() == layer.get_config()
    out = layer(layers.Input(shape=(2, None, 7)))
    assert out.shape == (None, 6, None, 5)
    with pytest.raises(ValueError, match=r"DepthwiseConv2D 'dw0': depth_multiplier must be a positive integer, "
                                         r"received 0"):
        DepthwiseConv2D(3, depth_multiplier=0, name="dw0")
    with pytest.raises(ValueError, match=r"'causal'"):
        DepthwiseConv1D(3, padding="causal")
