"""The parametrised activation layers (ReLU, LeakyReLU, PReLU, ELU, Softmax): outputs against float64 NumPy
references on every backend, gradients (PReLU's alpha too) against finite differences, PReLU's Keras weight
layout and numbers, Softmax's mask, shapes, configs and errors."""
import json

import numpy as np
import pytest

from gradcheck import backend_params, check_forward, to_host
from layer_checks import check_layer_gradients, matches_keras
from nnkit import Input, initializers, layers, regularizers

# Away from every kink used below (0, the thresholds 0.5 and 1.0, the cap 2.5).
X = np.array([[-2.7, -1.3, -0.6, -0.2, 0.3], [0.7, 1.2, 1.9, 2.2, 3.1]])
X3 = np.array([[[-1.4, 0.35, 2.1], [0.8, -0.45, -2.3]], [[1.6, -0.9, 0.15], [-0.3, 2.6, -1.8]]])


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


CASES = {
    "relu": (lambda: layers.ReLU(), lambda x: np.maximum(x, 0)),
    "relu-max-value": (lambda: layers.ReLU(max_value=2.5), lambda x: np.clip(x, 0, 2.5)),
    "relu-threshold-slope": (lambda: layers.ReLU(negative_slope=0.1, threshold=0.5),
                             lambda x: np.where(x > 0.5, x, 0.1 * (x - 0.5))),
    "relu-all-options": (lambda: layers.ReLU(max_value=2.5, negative_slope=0.2, threshold=1.0),
                         lambda x: np.where(x > 1.0, np.minimum(x, 2.5), 0.2 * (x - 1.0))),
    "leaky-relu-default": (lambda: layers.LeakyReLU(), lambda x: np.where(x > 0, x, 0.3 * x)),
    "leaky-relu-legacy-alpha": (lambda: layers.LeakyReLU(alpha=0.05), lambda x: np.where(x > 0, x, 0.05 * x)),
    "elu": (lambda: layers.ELU(), lambda x: np.where(x > 0, x, np.expm1(x))),
    "elu-alpha": (lambda: layers.ELU(alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    "softmax": (lambda: layers.Softmax(), softmax),
    "softmax-axis-0": (lambda: layers.Softmax(axis=0), lambda x: softmax(x, axis=0)),
    "softmax-two-axes": (lambda: layers.Softmax(axis=(0, 1)), lambda x: np.exp(x) / np.exp(x).sum()),
    "prelu-constant": (lambda: layers.PReLU(alpha_initializer=initializers.Constant(0.25)),
                       lambda x: np.where(x > 0, x, 0.25 * x)),
}
ON_JAX = {"relu-all-options", "prelu-constant"}


@pytest.mark.parametrize("backend, name", backend_params({n: n for n in CASES}, lambda name, case: name in ON_JAX),
                         indirect=["backend"])
def test_output_matches_numpy_reference(backend, name):
    make, reference = CASES[name]
    layer = make()
    check_forward(layer, reference, X)
    assert np.dtype(layer(backend.asarray(X.astype(np.float32))).dtype) == np.float32
    assert layer.compute_output_shape((None, 5)) == (None, 5)


GRADIENT_CASES = {name: CASES[name] for name in ["relu-all-options", "leaky-relu-default", "elu-alpha",
                                                  "softmax-two-axes"]}


@pytest.mark.parametrize("backend, name", backend_params({n: n for n in GRADIENT_CASES},
                                                         lambda name, case: name == "relu-all-options"),
                         indirect=["backend"])
def test_gradients_match_finite_differences(backend, name):
    check_layer_gradients(GRADIENT_CASES[name][0](), X, jit=not backend.uses_tape)


# --- PReLU ---------------------------------------------------------------------------------------------
ALPHA = np.array([[0.1, 0.4, -0.2]])  # one slope per channel of X3, shared over axis 1


def test_prelu_alpha_has_the_sample_shape_with_shared_axes_of_one(backend):
    layer = layers.PReLU(shared_axes=[1])
    layer.build((None, 2, 3))
    assert [v.name for v in layer.weights] == ["alpha"] and layer.alpha.shape == (1, 3)
    np.testing.assert_array_equal(layer.get_weights()[0], np.zeros((1, 3)))  # Keras' default: zeros
    full = layers.PReLU()
    full.build((None, 4, 2, 3))
    assert full.alpha.shape == (4, 2, 3) and full.count_params() == 24
    assert layers.PReLU(shared_axes=2).shared_axes == [2]


def test_prelu_output_and_gradients_with_shared_axes(backend, float64):
    layer = layers.PReLU(shared_axes=[1], dtype="float64")
    layer.build((None, 2, 3))
    layer.set_weights([ALPHA])
    check_forward(layer, lambda x: np.where(x > 0, x, ALPHA * x), X3)
    check_layer_gradients(layer, X3, jit=not backend.uses_tape)  # the input and alpha


def test_prelu_with_shared_axes_matches_keras():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 2)).astype(np.float32)
    model, reference = matches_keras(lambda ns: [ns.PReLU(alpha_initializer="random_normal", shared_axes=[1, 2])], x)
    assert model.layers[0].alpha.shape == (1, 1, 2)
    assert model.count_params() == reference.count_params() == 2


def test_prelu_regularizer_and_input_spec(backend):
    layer = layers.PReLU(alpha_regularizer=regularizers.L2(0.1), name="prelu")
    layer(backend.asarray(X3.astype(np.float32)))
    assert isinstance(layer.alpha.regularizer, regularizers.L2)
    with pytest.raises(ValueError, match=r"'prelu'.*axis 2 of the input shape to have value 3"):
        layer(backend.asarray(np.zeros((2, 2, 4), np.float32)))


def test_prelu_bad_shared_axis_names_the_layer():
    with pytest.raises(ValueError, match=r"PReLU 'p': shared_axes must name non-batch axes 1..2"):
        layers.PReLU(shared_axes=[3], name="p").build((None, 2, 3))


# --- Softmax with a mask ------------------------------------------------------------------------------------
MASK = np.array([[True, False, True], [True, True, False]])


def masked_softmax(x, mask):
    e = np.where(mask, np.exp(x - x.max(axis=-1, keepdims=True)), 0.0)
    return e / e.sum(axis=-1, keepdims=True)


MASKS = {"bool": MASK[None], "float": MASK[None].astype(np.float32), "broadcast": MASK[:, None, :]}


@pytest.mark.parametrize("backend, mask", backend_params(MASKS, lambda name, case: name == "bool"),
                         indirect=["backend"])
def test_softmax_mask_gives_masked_positions_zero_probability(backend, mask):
    layer = layers.Softmax()
    (out,) = check_forward(lambda x: layer(x, mask=backend.asarray(mask)), lambda x: masked_softmax(x, mask > 0.5),
                           X3)
    np.testing.assert_allclose(out.sum(axis=-1), 1.0)


def test_softmax_mask_matches_keras(backend):
    from layer_checks import keras_or_skip

    keras = keras_or_skip()
    x = X3.astype(np.float32)
    expected = np.asarray(keras.layers.Softmax()(x, mask=MASK[None]))
    np.testing.assert_allclose(to_host(layers.Softmax()(backend.asarray(x), mask=backend.asarray(MASK[None]))),
                               expected, rtol=1e-6, atol=1e-7)


def test_softmax_mask_that_cannot_broadcast_is_a_value_error():
    with pytest.raises(ValueError, match=r"Softmax 'sm': the mask must broadcast.*\(2, 2, 3\).*\(2, 2\)"):
        layers.Softmax(name="sm")(X3, mask=np.ones((2, 2), bool))


# --- shapes, masks, configs, errors -----------------------------------------------------------------------------
def test_layers_keep_symbolic_shapes_and_support_masking():
    for layer in (layers.ReLU(), layers.LeakyReLU(), layers.PReLU(shared_axes=[1]), layers.ELU(), layers.Softmax(),
                  layers.Activation("tanh")):
        assert layer(Input(shape=(None, 3))).shape == (None, None, 3)
        assert layer.supports_masking


@pytest.mark.parametrize("make, expected", [
    (lambda: layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5),
     {"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.5}),
    (lambda: layers.LeakyReLU(alpha=0.1), {"negative_slope": 0.1}),
    (lambda: layers.ELU(alpha=0.4), {"alpha": 0.4}),
    (lambda: layers.Softmax(axis=(1, 2)), {"axis": [1, 2]}),
    (lambda: layers.PReLU(alpha_initializer="ones", alpha_regularizer="l2", shared_axes=[1, 2]),
     {"shared_axes": [1, 2], "alpha_constraint": None}),
], ids=["relu", "leaky-relu", "elu", "softmax", "prelu"])
def test_config_round_trip(make, expected):
    layer = make()
    config = json.loads(json.dumps(layer.get_config()))
    assert expected.items() <= config.items()
    clone = layers.deserialize({"class_name": type(layer).__name__, "config": config})
    assert json.loads(json.dumps(clone.get_config())) == config


def test_prelu_initializer_survives_the_round_trip(backend):
    layer = layers.PReLU(alpha_initializer=initializers.Constant(0.3))
    clone = layers.PReLU.from_config(json.loads(json.dumps(layer.get_config())))
    clone.build((None, 2))
    np.testing.assert_allclose(clone.get_weights()[0], [0.3, 0.3])


@pytest.mark.parametrize("make, message", [
    (lambda: layers.ReLU(max_value=-1.0, name="bad"), r"ReLU 'bad': max_value must be a non-negative number"),
    (lambda: layers.ReLU(negative_slope=-0.1, name="bad"), r"ReLU 'bad': negative_slope must be"),
    (lambda: layers.ReLU(threshold=None, name="bad"), r"ReLU 'bad': threshold must be"),
    (lambda: layers.LeakyReLU(negative_slope=-0.3, name="bad"), r"LeakyReLU 'bad': negative_slope must be"),
])
def test_bad_arguments_are_value_errors_naming_the_layer(make, message):
    with pytest.raises(ValueError, match=message):
        make()
