"""Pooling layers (MaxPooling1D/2D/3D, AveragePooling1D/2D/3D, their global forms and Keras' aliases):
outputs against float64 NumPy references on every backend, gradients against finite differences, the
mask of GlobalAveragePooling1D, output shapes (unknown axes included), configs, Keras 3 agreement and errors.
The window kernels themselves are swept in tests/ops/test_pooling.py."""
import json

import numpy as np
import pytest

import nnkit
from gradcheck import backend_params, check_forward, to_host
from layer_checks import check_layer_gradients, keras_or_skip, matches_keras
from nnkit import Input, layers

RNG = np.random.default_rng(7)


def distinct(shape):
    """Values 0.1 apart in random order: no ties inside a window."""
    return (RNG.permutation(int(np.prod(shape))) * 0.1 - 1.0).reshape(shape)


def blocks_of_two(x, reduce, data_format):
    """`reduce` over disjoint windows of 2 along every spatial axis (the default pool of every layer)."""
    if data_format == "channels_first":
        x = np.moveaxis(x, 1, -1)
    rank = x.ndim - 2
    split = (x.shape[0],) + sum(((n // 2, 2) for n in x.shape[1:-1]), ()) + (x.shape[-1],)
    out = reduce(x.reshape(split), axis=tuple(range(2, 2 * rank + 1, 2)))
    return np.moveaxis(out, -1, 1) if data_format == "channels_first" else out


WINDOW_LAYERS = {
    f"{cls.__name__}-{data_format}": (cls, reduce, shape, data_format)
    for cls, reduce, shape in [
        (layers.MaxPooling1D, np.max, (2, 6, 4)), (layers.MaxPooling2D, np.max, (2, 4, 6, 2)),
        (layers.MaxPooling3D, np.max, (1, 4, 2, 4, 2)), (layers.AveragePooling1D, np.mean, (2, 6, 4)),
        (layers.AveragePooling2D, np.mean, (2, 4, 6, 2)), (layers.AveragePooling3D, np.mean, (1, 4, 2, 4, 2)),
    ]
    for data_format in ("channels_last", "channels_first")
}
ON_JAX = {"MaxPooling2D-channels_last", "AveragePooling3D-channels_first"}


@pytest.mark.parametrize("backend, case", backend_params(WINDOW_LAYERS, lambda name, case: name in ON_JAX),
                         indirect=["backend"])
def test_default_window_layers_match_numpy_reference(backend, case):
    cls, reduce, shape, data_format = case
    layer = cls(data_format=data_format, dtype="float64")
    assert layer.strides == layer.pool_size == (2,) * (len(shape) - 2)
    check_forward(layer, lambda x: blocks_of_two(x, reduce, data_format), distinct(shape))


GLOBAL_LAYERS = {
    f"{cls.__name__}-{data_format}-keepdims={keepdims}": (cls, reduce, rank, data_format, keepdims)
    for cls, reduce, rank in [
        (layers.GlobalMaxPooling1D, np.max, 1), (layers.GlobalMaxPooling2D, np.max, 2),
        (layers.GlobalMaxPooling3D, np.max, 3), (layers.GlobalAveragePooling1D, np.mean, 1),
        (layers.GlobalAveragePooling2D, np.mean, 2), (layers.GlobalAveragePooling3D, np.mean, 3),
    ]
    for data_format in ("channels_last", "channels_first") for keepdims in (False, True)
}


@pytest.mark.parametrize("backend, case", backend_params(
    GLOBAL_LAYERS, lambda name, case: name == "GlobalAveragePooling2D-channels_last-keepdims=False"),
    indirect=["backend"])
def test_global_layers_match_numpy_reference(backend, case):
    cls, reduce, rank, data_format, keepdims = case
    layer = cls(data_format=data_format, keepdims=keepdims, dtype="float64")
    axes = tuple(range(1, rank + 1)) if data_format == "channels_last" else tuple(range(2, rank + 2))
    x = distinct((2,) + (3,) * rank + (2,))
    (out,) = check_forward(layer, lambda t: reduce(t, axis=axes, keepdims=keepdims), x)
    assert out.shape == layer.compute_output_shape(x.shape)


def test_strided_same_padding_layer_matches_its_op(backend):
    x = backend.asarray(distinct((2, 5, 5, 2)).astype(np.float32))
    layer = layers.AveragePooling2D(3, strides=2, padding="same")
    np.testing.assert_array_equal(to_host(layer(x)), to_host(nnkit.ops.average_pool(x, 3, 2, "same")))


# --- GlobalAveragePooling1D with a mask ------------------------------------------------------------------
MASK = np.array([[True, False, True, True], [False, False, True, False]])


def masked_mean(x, mask, data_format="channels_last"):
    weights = mask[:, :, None] if data_format == "channels_last" else mask[:, None, :]
    axis = 1 if data_format == "channels_last" else 2
    return (x * weights).sum(axis) / weights.sum(axis)


@pytest.mark.parametrize("backend, data_format", backend_params(
    {"channels_last": "channels_last", "channels_first": "channels_first"},
    lambda name, case: name == "channels_last"), indirect=["backend"])
def test_global_average_pooling_1d_averages_the_unmasked_steps(backend, data_format):
    layer = layers.GlobalAveragePooling1D(data_format=data_format, dtype="float64")
    x = distinct((2, 4, 3)) if data_format == "channels_last" else distinct((2, 3, 4))
    check_forward(lambda t: layer(t, mask=backend.asarray(MASK)), lambda t: masked_mean(t, MASK, data_format), x)


def test_global_average_pooling_1d_mask_matches_keras():
    keras = keras_or_skip()
    x = distinct((2, 4, 3)).astype(np.float32)
    expected = np.asarray(keras.layers.GlobalAveragePooling1D(keepdims=True)(x, mask=MASK))
    np.testing.assert_allclose(layers.GlobalAveragePooling1D(keepdims=True)(x, mask=MASK), expected, rtol=1e-6)


def test_mask_from_a_masking_layer_reaches_global_average_pooling_1d_as_in_keras():
    if not hasattr(layers, "Masking"):
        pytest.skip("nnkit.layers has no Masking layer")
    x = distinct((2, 4, 3)).astype(np.float32)
    x[0, 1:] = 0.0
    x[1, 2] = 0.0
    model, _ = matches_keras(lambda ns: [ns.Masking(0.0), ns.GlobalAveragePooling1D()], x)
    np.testing.assert_allclose(np.asarray(model(x))[0], x[0, 0], rtol=1e-6)


def test_global_average_pooling_1d_takes_masks_and_passes_none_on():
    layer = layers.GlobalAveragePooling1D()
    assert layer.supports_masking
    assert layer.compute_mask(np.zeros((2, 4, 3)), MASK) is None
    assert not layers.GlobalMaxPooling1D().supports_masking and not layers.MaxPooling1D().supports_masking


# --- gradients -------------------------------------------------------------------------------------------
GRADIENT_CASES = {
    "max2d-same-strided": (lambda: layers.MaxPooling2D(3, strides=2, padding="same"), (1, 5, 4, 2), None),
    "avg1d-same": (lambda: layers.AveragePooling1D(3, strides=1, padding="same"), (2, 5, 2), None),
    "max3d-channels-first": (lambda: layers.MaxPooling3D(data_format="channels_first"), (1, 2, 2, 4, 2), None),
    "global-max2d": (lambda: layers.GlobalMaxPooling2D(), (2, 3, 3, 2), None),
    "global-avg1d-masked": (lambda: layers.GlobalAveragePooling1D(), (2, 4, 3), MASK),
}


@pytest.mark.parametrize("backend, case", backend_params(
    GRADIENT_CASES, lambda name, case: name in ("max2d-same-strided", "global-avg1d-masked")), indirect=["backend"])
def test_gradients_match_finite_differences(backend, case):
    make, shape, mask = case
    layer = make()
    call = None if mask is None else (lambda x: layer(x, mask=backend.asarray(mask)))
    check_layer_gradients(layer, distinct(shape), call=call, jit=not backend.uses_tape)


def test_float32_stays_float32(backend):
    x = backend.asarray(distinct((2, 4, 4, 3)).astype(np.float32))
    for layer in (layers.MaxPooling2D(), layers.AveragePooling2D(padding="same"), layers.GlobalAveragePooling2D()):
        assert np.dtype(layer(x).dtype) == np.float32


def test_small_model_trains_through_pooling(backend):
    """fit() differentiates max and average pooling (JAX: under jit) and lowers the loss."""
    nnkit.utils.set_random_seed(0)
    model = nnkit.Sequential([Input(shape=(6, 6, 2)), layers.MaxPooling2D(padding="same"),
                              layers.AveragePooling2D(), layers.GlobalAveragePooling2D(), layers.Dense(1)])
    model.compile(optimizer=nnkit.optimizers.SGD(0.1), loss="mse", backend=backend.name)
    x = RNG.standard_normal((16, 6, 6, 2)).astype(np.float32)
    y = x.max(axis=(1, 2)).sum(axis=1, keepdims=True)
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0).history["loss"]
    assert np.all(np.isfinite(history)) and history[-1] < history[0]


# --- output shapes -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer, input_shape, expected", [
    (layers.MaxPooling2D(3, strides=2, padding="same"), (None, 7, None, 3), (None, 4, None, 3)),
    (layers.AveragePooling1D(3, strides=2), (None, 8, 4), (None, 3, 4)),
    (layers.MaxPooling3D((1, 2, 3), data_format="channels_first"), (None, 2, 4, 4, 9), (None, 2, 4, 2, 3)),
    (layers.GlobalMaxPooling2D(keepdims=True), (None, None, 5, 3), (None, 1, 1, 3)),
    (layers.GlobalAveragePooling3D(data_format="channels_first"), (None, 4, 2, 2, 2), (None, 4)),
], ids=["max2d-same", "avg1d-valid", "max3d-channels-first", "global-keepdims", "global-channels-first"])
def test_compute_output_shape_equals_the_real_output_shape(layer, input_shape, expected):
    assert layer.compute_output_shape(input_shape) == expected
    concrete = tuple(5 if d is None else d for d in input_shape)
    out = layer(np.zeros(concrete, np.float32))
    assert tuple(out.shape) == layer.compute_output_shape(concrete)
    assert all(e is None or e == o for e, o in zip(expected[1:], tuple(out.shape)[1:]))


# --- configuration and names -----------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: layers.MaxPooling1D(3, strides=1, padding="same", name="pool"),
    lambda: layers.AveragePooling2D((2, 3), data_format="channels_first", name="pool"),
    lambda: layers.MaxPooling3D(name="pool"),
    lambda: layers.GlobalAveragePooling1D(keepdims=True, name="pool"),
    lambda: layers.GlobalMaxPooling3D(data_format="channels_first", name="pool"),
], ids=["max1d", "avg2d", "max3d", "global-avg1d", "global-max3d"])
def test_config_round_trip(make):
    layer = make()
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert clone.get_config() == layer.get_config()
    again = layers.deserialize(layers.serialize(layer))
    assert type(again) is type(layer) and again.get_config() == layer.get_config()


def test_config_holds_keras_keys_and_values():
    config = layers.MaxPooling2D(3, padding="SAME").get_config()
    assert config["pool_size"] == (3, 3) and config["strides"] == (3, 3)
    assert config["padding"] == "same" and config["data_format"] == "channels_last"
    assert layers.GlobalMaxPooling1D().get_config()["keepdims"] is False


def test_keras_aliases_are_the_same_classes():
    assert layers.MaxPool1D is layers.MaxPooling1D and layers.AvgPool3D is layers.AveragePooling3D
    assert layers.GlobalMaxPool2D is layers.GlobalMaxPooling2D
    assert layers.GlobalAvgPool1D is layers.GlobalAveragePooling1D


# --- Keras 3 ---------------------------------------------------------------------------------------------------
def test_max_pooling_2d_same_strided_matches_keras():
    x = distinct((2, 7, 6, 3)).astype(np.float32)
    matches_keras(lambda ns: [ns.MaxPooling2D(3, strides=2, padding="same")], x)


def test_average_pooling_2d_same_matches_keras():
    x = distinct((2, 5, 6, 3)).astype(np.float32)
    matches_keras(lambda ns: [ns.AveragePooling2D((3, 2), strides=(2, 1), padding="same")], x)


# --- errors ------------------------------------------------------------------------------------------------------
def test_wrong_rank_names_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"'pool2d'.*expected ndim=4, found ndim=3.*\(2, 4, 3\)"):
        layers.MaxPooling2D(name="pool2d")(np.zeros((2, 4, 3), np.float32))


@pytest.mark.parametrize("arguments, message", [
    ({"pool_size": (2, 2, 2)}, r"MaxPooling2D 'bad': pool_size must be a positive int or a tuple of 2"),
    ({"pool_size": 0}, "pool_size must be a positive int"),
    ({"strides": (1, 1, 1)}, "strides must be a positive int or a tuple of 2"),
    ({"padding": "causal"}, r"MaxPooling2D 'bad': padding must be 'valid' or 'same', received padding='causal'"),
    ({"data_format": "NHWC"}, "data_format must be 'channels_last' or 'channels_first'"),
])
def test_bad_arguments_are_value_errors_naming_the_layer(arguments, message):
    with pytest.raises(ValueError, match=message):
        layers.MaxPooling2D(name="bad", **arguments)


def test_window_larger_than_the_input_is_a_value_error(backend):
    layer = layers.AveragePooling2D(4, name="big")
    with pytest.raises(ValueError, match=r"AveragePooling2D 'big': pool_size \(4, 4\).*\(1, 3, 5, 2\)"):
        layer(backend.asarray(np.zeros((1, 3, 5, 2), np.float32)))
    with pytest.raises(ValueError, match="AveragePooling2D 'big'"):
        layer(Input(shape=(3, 5, 2)))
