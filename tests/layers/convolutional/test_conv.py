"""Conv1D, Conv2D, Conv3D: outputs against the loop reference (strides, dilation, valid/same/causal padding,
groups, channels_first, bias and activation), gradients wrt input, kernel and bias against central
differences, regularizers, configs, output shapes and the errors a user meets (Keras 3's numbers:
test_matches_keras.py)."""
import json

import numpy as np
import pytest

import conv_reference as ref
import nnkit
from gradcheck import backend_params, check_forward
from layer_checks import check_layer_gradients
from nnkit import layers, regularizers
from nnkit.layers import Conv1D, Conv2D, Conv3D

RNG = np.random.default_rng(3)

# name -> (layer factory, input shape, reference of the bias-free linear part given (x, kernel))
CASES = {
    "conv1d-causal-dilation2": (lambda: Conv1D(3, 3, padding="causal", dilation_rate=2), (2, 7, 2),
                                lambda x, k: ref.conv(x, k, padding="causal", dilation_rate=2)),
    "conv1d-same-stride2": (lambda: Conv1D(2, 4, strides=2, padding="same"), (2, 7, 3),
                            lambda x, k: ref.conv(x, k, strides=2, padding="same")),
    "conv2d-same-stride2": (lambda: Conv2D(3, 3, strides=2, padding="same"), (2, 5, 6, 2),
                            lambda x, k: ref.conv(x, k, strides=2, padding="same")),
    "conv2d-valid-dilation": (lambda: Conv2D(2, (2, 3), dilation_rate=(2, 1)), (1, 6, 5, 2),
                              lambda x, k: ref.conv(x, k, dilation_rate=(2, 1))),
    "conv2d-groups-channels-first": (lambda: Conv2D(4, 2, groups=2, padding="same", data_format="channels_first"),
                                     (2, 4, 4, 3),
                                     lambda x, k: ref.conv(x, k, padding="same", channels_first=True)),
    "conv3d-same": (lambda: Conv3D(2, (2, 3, 2), padding="same"), (1, 3, 4, 3, 2),
                    lambda x, k: ref.conv(x, k, padding="same")),
}
ON_JAX = ("conv1d-causal-dilation2",)


def _layer(name, **kwargs):
    make, shape, reference = CASES[name]
    layer = make()
    layer = type(layer).from_config({**layer.get_config(), "dtype": "float64", **kwargs})
    kernel, bias = ref.built_with_random_weights(layer, shape)
    bias_shape = (-1,) + (1,) * layer.rank if layer.data_format == "channels_first" else (-1,)
    return layer, shape, lambda x: reference(x, kernel) + bias.reshape(bias_shape)


@pytest.mark.parametrize("backend, name", backend_params({n: n for n in CASES}, lambda n, _: n in ON_JAX),
                         indirect=["backend"])
def test_output_matches_loop_reference(backend, float64, name):
    layer, shape, reference = _layer(name, activation="tanh")
    check_forward(lambda x: layer(x), lambda x: np.tanh(reference(x)), RNG.standard_normal(shape))


@pytest.mark.parametrize("backend, name", backend_params({n: n for n in CASES}, lambda n, _: n in ON_JAX),
                         indirect=["backend"])
def test_gradients_wrt_input_kernel_and_bias(backend, float64, name):
    layer, shape, _ = _layer(name, activation="tanh")
    check_layer_gradients(layer, RNG.standard_normal(shape), jit=not backend.uses_tape)


def test_float32_in_float32_out(backend):
    layer = Conv2D(3, 3, padding="same", activation="relu")
    out = layer(backend.asarray(RNG.standard_normal((2, 5, 5, 2)).astype(np.float32)))
    assert backend.is_array(out) and np.dtype(out.dtype) == np.float32 and tuple(out.shape) == (2, 5, 5, 3)


def test_output_without_bias_and_the_weight_layout(float64):
    layer = Conv2D(4, (3, 2), groups=2, use_bias=False, dtype="float64")
    (kernel,) = ref.built_with_random_weights(layer, (1, 5, 4, 6))
    assert [v.name for v in layer.weights] == ["kernel"] and layer.bias is None
    assert kernel.shape == (3, 2, 3, 4) and layer.count_params() == 3 * 2 * 3 * 4
    x = RNG.standard_normal((1, 5, 4, 6))
    check_forward(lambda t: layer(t), lambda t: ref.conv(t, kernel), x)


def test_kernel_regularizer_and_activity_regularizer_add_losses(backend):
    model = nnkit.Sequential([layers.Input(shape=(4, 4, 1)),
                              Conv2D(1, 2, kernel_initializer="ones", bias_initializer="ones",
                                     kernel_regularizer=regularizers.L2(0.5),
                                     activity_regularizer=regularizers.L1(0.1))])
    model.compile(optimizer="sgd", loss="mse", backend=backend.name)
    x, y = np.ones((2, 4, 4, 1), np.float32), np.zeros((2, 3, 3, 1), np.float32)
    # each output is 4 * 1 + 1 = 5: mse 25, kernel penalty 0.5 * 4, activity 0.1 * (9 * 5) per sample
    assert model.evaluate(x, y, verbose=0) == pytest.approx(25 + 2 + 4.5, rel=1e-5)


# --- shapes, configuration, errors ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_compute_output_shape_equals_the_output_shape(name):
    layer, shape, _ = _layer(name)
    out = layer(np.zeros(shape))
    assert layer.compute_output_shape(shape) == tuple(out.shape)


def test_unknown_spatial_axes_stay_unknown():
    out = Conv2D(4, 3, strides=2, padding="same")(layers.Input(shape=(None, 9, 3)))
    assert out.shape == (None, None, 5, 4)
    assert Conv1D(2, 3, padding="causal").compute_output_shape((None, None, 3)) == (None, None, 2)


def test_config_round_trip_and_aliases():
    layer = Conv2D(6, (3, 2), strides=(1, 2), padding="SAME", data_format="channels_first", dilation_rate=1, groups=3,
                   activation="relu", use_bias=False, kernel_initializer="he_normal", kernel_regularizer="l2",
                   name="conv_config")
    config = json.loads(json.dumps(layer.get_config()))
    assert config["kernel_size"] == [3, 2] and config["padding"] == "same" and config["groups"] == 3
    assert config["kernel_initializer"]["class_name"] == "HeNormal"
    clone = layers.deserialize(layers.serialize(Conv2D.from_config(config)))
    assert isinstance(clone, Conv2D) and clone.get_config() == layer.get_config()
    assert layers.Convolution1D is Conv1D and layers.Convolution2D is Conv2D and layers.Convolution3D is Conv3D


def test_wrong_rank_names_the_layer_and_the_shapes():
    layer = Conv2D(2, 3, name="image_conv")
    with pytest.raises(ValueError, match=r"'image_conv'.*expected ndim=4, found ndim=3.*\(2, 8, 3\)"):
        layer(np.zeros((2, 8, 3), np.float32))


def test_channels_changed_after_build():
    layer = Conv2D(2, 3, name="rgb_conv")
    layer(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"'rgb_conv'.*axis -1 .* value 3.*\(1, 5, 5, 4\)"):
        layer(np.zeros((1, 5, 5, 4), np.float32))


def test_filters_or_channels_not_divisible_by_groups():
    with pytest.raises(ValueError, match=r"Conv2D 'grouped'.*filters=5 and groups=2"):
        Conv2D(5, 3, groups=2, name="grouped")
    with pytest.raises(ValueError, match=r"Conv1D 'grouped1d'.*3 channels and groups=2"):
        Conv1D(4, 3, groups=2, name="grouped1d")(np.zeros((1, 5, 3), np.float32))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"Conv2D 'c'.*padding must be one of \['valid', 'same'\].*'causal'"):
        Conv2D(2, 3, padding="causal", name="c")
    with pytest.raises(ValueError, match=r"Conv1D 'c1'.*\['valid', 'same', 'causal'\].*'full'"):
        Conv1D(2, 3, padding="full", name="c1")
    with pytest.raises(ValueError, match=r"kernel_size must be .* 2 positive ints, received kernel_size=\(3, 0\)"):
        Conv2D(2, (3, 0))
    with pytest.raises(ValueError, match=r"Conv3D .*filters must be a positive integer, received 0"):
        Conv3D(0, 2)
    with pytest.raises(ValueError, match=r"strides > 1 cannot be combined with dilation_rate > 1"):
        Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"Conv2D 'conv2d.*data_format must be .*'NHWC'"):
        Conv2D(2, 3, data_format="NHWC")


def test_input_smaller_than_the_kernel_is_named():
    with pytest.raises(ValueError, match=r"Conv2D 'small'.*\(None, 2, 5, 1\) is too small for kernel_size=\(3, 3\)"):
        Conv2D(1, 3, name="small")(layers.Input(shape=(2, 5, 1)))
