"""Reshaping layers (ZeroPadding1D/2D/3D, Cropping1D/2D/3D, UpSampling1D/2D, Permute, RepeatVector): outputs
against float64 NumPy references on every backend, gradients against finite differences, bilinear
upsampling against Keras 3, output shapes with unknown axes, configs and errors."""
import json

import numpy as np
import pytest

from gradcheck import backend_params, check_forward, to_host
from layer_checks import check_layer_gradients, matches_keras
from nnkit import Input, layers

RNG = np.random.default_rng(3)


def data(shape):
    return RNG.standard_normal(shape)


def moved(fn, data_format):
    """A channels-last reference `fn` applied to channels-first data (channels moved last and back)."""
    if data_format == "channels_last":
        return fn
    return lambda x: np.moveaxis(fn(np.moveaxis(x, 1, -1)), -1, 1)


def linear_upsample(x, factor, axis):
    """Half-pixel-centre linear interpolation along `axis`, one output element at a time."""
    n = x.shape[axis]
    pieces = []
    for o in range(n * factor):
        source = min(max((o + 0.5) / factor - 0.5, 0.0), n - 1.0)
        low = int(np.floor(source))
        high = min(low + 1, n - 1)
        pieces.append((1 - (source - low)) * np.take(x, low, axis) + (source - low) * np.take(x, high, axis))
    return np.stack(pieces, axis=axis)


# Each case: a layer maker, its channels-last float64 reference, the channels-last input shape.
CASES = {
    "ZeroPadding1D": (lambda df: layers.ZeroPadding1D((1, 2), data_format=df),
                      lambda x: np.pad(x, ((0, 0), (1, 2), (0, 0))), (2, 3, 2)),
    "ZeroPadding2D": (lambda df: layers.ZeroPadding2D(((1, 0), (2, 1)), data_format=df),
                      lambda x: np.pad(x, ((0, 0), (1, 0), (2, 1), (0, 0))), (2, 3, 2, 2)),
    "ZeroPadding3D": (lambda df: layers.ZeroPadding3D(1, data_format=df),
                      lambda x: np.pad(x, ((0, 0), (1, 1), (1, 1), (1, 1), (0, 0))), (1, 2, 1, 2, 2)),
    "Cropping1D": (lambda df: layers.Cropping1D((2, 1)), lambda x: x[:, 2:-1], (2, 5, 2)),
    "Cropping2D": (lambda df: layers.Cropping2D(((1, 0), (1, 2)), data_format=df),
                   lambda x: x[:, 1:, 1:-2], (2, 3, 5, 2)),
    "Cropping3D": (lambda df: layers.Cropping3D(data_format=df), lambda x: x[:, 1:-1, 1:-1, 1:-1], (1, 3, 4, 3, 2)),
    "UpSampling1D": (lambda df: layers.UpSampling1D(3), lambda x: np.repeat(x, 3, axis=1), (2, 3, 2)),
    "UpSampling2D-nearest": (lambda df: layers.UpSampling2D((2, 3), data_format=df),
                             lambda x: np.repeat(np.repeat(x, 2, axis=1), 3, axis=2), (2, 2, 3, 2)),
    "UpSampling2D-bilinear": (lambda df: layers.UpSampling2D((3, 2), data_format=df, interpolation="bilinear"),
                              lambda x: linear_upsample(linear_upsample(x, 3, 1), 2, 2), (1, 3, 4, 2)),
    "Permute": (lambda df: layers.Permute((3, 1, 2)), lambda x: np.transpose(x, (0, 3, 1, 2)), (2, 3, 4, 2)),
    "RepeatVector": (lambda df: layers.RepeatVector(3), lambda x: np.repeat(x[:, None], 3, axis=1), (2, 4)),
}
WITH_DATA_FORMAT = {"ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping2D", "Cropping3D",
                    "UpSampling2D-nearest", "UpSampling2D-bilinear"}
FORWARD_CASES = {
    f"{name}-{df}": (name, df) for name in CASES
    for df in (("channels_last", "channels_first") if name in WITH_DATA_FORMAT else ("channels_last",))
}
ON_JAX = {"ZeroPadding2D-channels_last", "Cropping3D-channels_first", "UpSampling2D-nearest-channels_first"}


@pytest.mark.parametrize("backend, case", backend_params(FORWARD_CASES, lambda name, case: name in ON_JAX),
                         indirect=["backend"])
def test_output_matches_numpy_reference(backend, case):
    name, data_format = case
    make, reference, shape = CASES[name]
    layer = make(data_format)
    x = data(shape) if data_format == "channels_last" else np.moveaxis(data(shape), -1, 1)
    (out,) = check_forward(layer, moved(reference, data_format), x)
    assert out.shape == layer.compute_output_shape(x.shape)
    assert np.dtype(layer(x.astype(np.float32)).dtype) == np.float32


@pytest.mark.parametrize("backend, name", backend_params(
    {name: name for name in CASES}, lambda name, case: name in ("Cropping2D", "UpSampling2D-bilinear")),
    indirect=["backend"])
def test_gradients_match_finite_differences(backend, name):
    make, _, shape = CASES[name]
    check_layer_gradients(make("channels_last"), data(shape), jit=not backend.uses_tape)


def test_bilinear_upsampling_matches_keras():
    x = data((2, 3, 4, 2)).astype(np.float32)
    matches_keras(lambda ns: [ns.UpSampling2D((2, 3), interpolation="bilinear")], x)


def test_bilinear_upsampling_keeps_constant_images_constant():
    out = layers.UpSampling2D(4, interpolation="bilinear")(np.full((1, 3, 3, 1), 2.5, np.float32))
    np.testing.assert_allclose(to_host(out), 2.5, rtol=1e-6)


# --- output shapes with unknown axes ------------------------------------------------------------------------
@pytest.mark.parametrize("layer, input_shape, expected", [
    (layers.ZeroPadding2D(((1, 2), (3, 4))), (None, None, 5, 2), (None, None, 12, 2)),
    (layers.Cropping2D(1, data_format="channels_first"), (None, 2, 6, None), (None, 2, 4, None)),
    (layers.Cropping1D(), (None, None, 3), (None, None, 3)),
    (layers.UpSampling2D((2, 3)), (None, 4, None, 1), (None, 8, None, 1)),
    (layers.UpSampling1D(), (None, None, 3), (None, None, 3)),
    (layers.Permute((2, 1)), (None, None, 4), (None, 4, None)),
    (layers.RepeatVector(5), (None, 3), (None, 5, 3)),
], ids=["zero-padding", "cropping-channels-first", "cropping1d", "upsampling2d", "upsampling1d", "permute",
        "repeat-vector"])
def test_compute_output_shape_with_unknown_axes(layer, input_shape, expected):
    assert layer.compute_output_shape(input_shape) == expected
    assert layer(Input(shape=input_shape[1:])).shape == expected
    concrete = tuple(6 if d is None else d for d in input_shape)
    assert tuple(layer(np.zeros(concrete, np.float32)).shape) == layer.compute_output_shape(concrete)


# --- configuration ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, key, value", [
    (lambda: layers.ZeroPadding1D((1, 2)), "padding", (1, 2)),
    (lambda: layers.ZeroPadding2D(2), "padding", ((2, 2), (2, 2))),
    (lambda: layers.ZeroPadding3D((1, (2, 3), 0)), "padding", ((1, 1), (2, 3), (0, 0))),
    (lambda: layers.Cropping1D(1), "cropping", (1, 1)),
    (lambda: layers.Cropping2D((1, 2)), "cropping", ((1, 1), (2, 2))),
    (lambda: layers.Cropping3D(), "cropping", ((1, 1), (1, 1), (1, 1))),
    (lambda: layers.UpSampling1D(), "size", 2),
    (lambda: layers.UpSampling2D(3, interpolation="Bilinear"), "size", (3, 3)),
    (lambda: layers.Permute([2, 1]), "dims", (2, 1)),
    (lambda: layers.RepeatVector(4), "n", 4),
], ids=lambda v: v if isinstance(v, str) else None)
def test_config_holds_keras_values_and_round_trips(make, key, value):
    layer = make()
    assert layer.get_config()[key] == value
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert clone.get_config() == layer.get_config()
    assert layers.deserialize(layers.serialize(layer)).get_config() == layer.get_config()


def test_keras_config_keys():
    assert "data_format" not in layers.Cropping1D().get_config()  # Keras' Cropping1D has none
    assert layers.ZeroPadding1D().get_config()["data_format"] == "channels_last"
    assert layers.UpSampling2D(interpolation="BILINEAR").get_config()["interpolation"] == "bilinear"


# --- errors ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda: layers.ZeroPadding2D((1, 2, 3), name="bad"), r"ZeroPadding2D 'bad': padding must be an int or 2 entries"),
    (lambda: layers.ZeroPadding1D(-1, name="bad"), r"ZeroPadding1D 'bad': padding must be a non-negative int"),
    (lambda: layers.Cropping2D(((1, 2, 3), 1), name="bad"), r"Cropping2D 'bad': cropping must be"),
    (lambda: layers.UpSampling2D(interpolation="bicubic", name="bad"), r"UpSampling2D 'bad': interpolation must be"),
    (lambda: layers.UpSampling1D(0, name="bad"), r"UpSampling1D 'bad': size must be a positive int"),
    (lambda: layers.RepeatVector(0, name="bad"), r"RepeatVector 'bad': n must be a positive int"),
    (lambda: layers.Permute((0, 1), name="bad"), r"Permute 'bad': dims must be a permutation of 1..2"),
    (lambda: layers.ZeroPadding2D(data_format="nhwc", name="bad"), r"ZeroPadding2D 'bad': data_format must be"),
])
def test_bad_arguments_are_value_errors_naming_the_layer(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_cropping_everything_away_is_a_value_error(backend):
    layer = layers.Cropping1D((2, 2), name="crop")
    with pytest.raises(ValueError, match=r"Cropping1D 'crop': cropping \(\(2, 2\),\) must leave.*\(1, 4, 3\)"):
        layer(backend.asarray(np.zeros((1, 4, 3), np.float32)))


def test_wrong_rank_names_the_layer():
    with pytest.raises(ValueError, match=r"'repeat'.*expected ndim=2, found ndim=3"):
        layers.RepeatVector(2, name="repeat")(np.zeros((2, 3, 4), np.float32))
