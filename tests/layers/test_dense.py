"""Dense: y = activation(x @ kernel + bias) against float64 NumPy references, gradients wrt the input, the
kernel and the bias against central finite differences, Keras' weight layout and constructor keywords,
and the errors a user meets (bad units, misspelt keywords, inputs of the wrong width)."""
import json

import numpy as np
import pytest

from gradcheck import check_forward, check_gradients, check_tape_matches_jax, to_host
from nnkit import initializers, layers, models, regularizers
from nnkit.layers import Dense
from nnkit.ops.variable import Assigned

RNG = np.random.default_rng(1234)
X2 = RNG.standard_normal((3, 4))
X3 = RNG.standard_normal((2, 2, 4))
W = RNG.standard_normal((4, 5)) * 0.5
B = RNG.standard_normal(5) * 0.5


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


ACTIVATIONS = {
    None: lambda z: z,
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "softmax": _softmax,
}


def _float64_dense(units=5, **kwargs):
    """A float64 Dense built for 4 input features, holding W and B (or only W)."""
    layer = Dense(units, dtype="float64", **kwargs)
    layer.build((None, 4))
    layer.set_weights([W, B] if layer.use_bias else [W])
    return layer


# --- forward ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("activation", list(ACTIVATIONS), ids=lambda a: str(a))
@pytest.mark.parametrize("x", [X2, X3], ids=["2d", "3d"])
def test_output_matches_numpy_reference(backend, float64, activation, x):
    layer = _float64_dense(activation=activation)
    reference = ACTIVATIONS[activation]
    (out,) = check_forward(lambda t: layer(t), lambda t: reference(t @ W + B), x)
    assert out.shape == x.shape[:-1] + (5,)


def test_output_without_bias_matches_numpy_reference(backend, float64):
    layer = _float64_dense(use_bias=False, activation="tanh")
    assert layer.bias is None
    check_forward(lambda t: layer(t), lambda t: np.tanh(t @ W), X3)


def test_float32_in_float32_out(backend):
    layer = Dense(5)
    out = layer(backend.asarray(X2.astype(np.float32)))
    assert np.dtype(out.dtype) == np.float32
    assert backend.is_array(out)


def test_output_has_units_on_the_last_axis_for_any_rank(backend):
    layer = Dense(7)
    for shape in [(2, 3), (2, 4, 3), (2, 1, 4, 3)]:
        out = layer(backend.asarray(np.ones(shape, np.float32)))
        assert tuple(out.shape) == shape[:-1] + (7,)
    assert layer.compute_output_shape((None, 4, 3)) == (None, 4, 7)


# --- gradients --------------------------------------------------------------------------------------------
def _with_values(layer, fn):
    """fn(x, kernel, bias) running the layer's own call with its Variables holding kernel and bias."""
    def wrapped(x, kernel, bias):
        with Assigned([layer.kernel, layer.bias], [kernel, bias]):
            return fn(x)
    return wrapped


@pytest.mark.parametrize("activation, x", [(None, X2), ("tanh", X2), ("softmax", X2), ("sigmoid", X3)],
                         ids=["linear-2d", "tanh-2d", "softmax-2d", "sigmoid-3d"])
def test_gradients_wrt_input_kernel_and_bias(backend, float64, activation, x):
    layer = Dense(5, activation=activation)
    layer.build((None, 4))
    check_gradients(_with_values(layer, layer.call), x, W, B)


def test_gradients_through_layer_call_operator(backend, float64):
    """The same check through layer(x) (input checks and all), not only layer.call."""
    layer = Dense(5, activation="tanh")
    layer(backend.asarray(X2.astype(np.float32)))
    check_gradients(_with_values(layer, lambda t: layer(t)), X2, W, B)


def test_gradients_without_bias(backend, float64):
    layer = Dense(5, use_bias=False, activation="tanh")
    layer.build((None, 4))

    def fn(x, kernel):
        with Assigned([layer.kernel], [kernel]):
            return layer.call(x)

    check_gradients(fn, X3, W)


def test_kernel_gradient_equals_closed_form(backend, float64):
    """For a linear Dense and objective sum(y * G): dK = x^T G and db = sum over rows of G."""
    import nnkit.ops as ops

    layer = Dense(5)
    layer.build((None, 4))
    g = RNG.standard_normal((3, 5))

    def loss(params, x):
        kernel, bias = params
        with Assigned([layer.kernel, layer.bias], [kernel, bias]):
            return ops.sum(ops.multiply(layer.call(x), backend.asarray(g))), None

    x = backend.asarray(X2)
    (_, _), (dk, db) = backend.value_and_grad(loss)([backend.asarray(W), backend.asarray(B)], x)
    np.testing.assert_allclose(to_host(dk), X2.T @ g, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_host(db), g.sum(axis=0), rtol=1e-10, atol=1e-12)


def test_tape_and_jax_gradients_agree():
    layer = Dense(5, activation="sigmoid")
    layer.build((None, 4))
    check_tape_matches_jax(_with_values(layer, layer.call), X3, W, B)


# --- weights: layout and initialisation -------------------------------------------------------------------
def test_kernel_is_in_by_units_like_keras(backend):
    layer = Dense(5)
    layer(backend.asarray(np.ones((2, 4), np.float32)))
    assert layer.kernel.shape == (4, 5)
    assert layer.bias.shape == (5,)
    assert [w.shape for w in layer.get_weights()] == [(4, 5), (5,)]
    assert [v.name for v in layer.weights] == ["kernel", "bias"]
    assert layer.kernel.path == f"{layer.name}/kernel"
    assert layer.count_params() == 4 * 5 + 5


def test_default_initializers_glorot_uniform_kernel_and_zero_bias(backend):
    layer = Dense(50)
    layer.build((None, 30))
    kernel, bias = layer.get_weights()
    limit = np.sqrt(6.0 / (30 + 50))
    assert np.all(np.abs(kernel) <= limit)
    assert kernel.std() > limit / 3  # not all zeros / a degenerate draw
    np.testing.assert_array_equal(bias, np.zeros(50, np.float32))


def test_legacy_init_keyword_uniform(backend):
    """Keras 1's `Dense(12, input_dim=8, init='uniform')`: RandomUniform(-0.05, 0.05)."""
    layer = Dense(12, input_dim=8, init="uniform")
    assert isinstance(layer.kernel_initializer, initializers.RandomUniform)
    layer.build((None, 8))
    kernel = layer.get_weights()[0]
    assert kernel.shape == (8, 12)
    assert np.all(np.abs(kernel) <= 0.05)
    assert np.abs(kernel).max() > 0.01


@pytest.mark.parametrize("name, check", [
    ("zeros", lambda k: np.all(k == 0)),
    ("ones", lambda k: np.all(k == 1)),
    ("he_normal", lambda k: 0.2 < k.std() < 1.5),
])
def test_kernel_initializer_by_name(backend, name, check):
    layer = Dense(20, kernel_initializer=name)
    layer.build((None, 10))
    assert check(layer.get_weights()[0])


def test_initializer_instances_and_bias_initializer(backend):
    layer = Dense(3, kernel_initializer=initializers.Constant(0.5), bias_initializer=initializers.Constant(-2.0))
    out = layer(backend.asarray(np.ones((2, 4), np.float32)))
    np.testing.assert_allclose(to_host(out), np.full((2, 3), 4 * 0.5 - 2.0))
    kernel, bias = layer.get_weights()
    np.testing.assert_array_equal(kernel, np.full((4, 3), 0.5, np.float32))
    np.testing.assert_array_equal(bias, np.full(3, -2.0, np.float32))


def test_bias_initializer_by_name(backend):
    layer = Dense(3, bias_initializer="ones")
    layer.build((None, 2))
    np.testing.assert_array_equal(layer.get_weights()[1], np.ones(3, np.float32))


def test_seeded_initializer_gives_same_weights_on_every_backend(backend):
    layer = Dense(4, kernel_initializer=initializers.GlorotUniform(seed=7))
    layer.build((None, 3))
    again = Dense(4, kernel_initializer=initializers.GlorotUniform(seed=7))
    again.build((None, 3))
    np.testing.assert_array_equal(layer.get_weights()[0], again.get_weights()[0])


def test_use_bias_false_has_only_a_kernel(backend):
    layer = Dense(3, use_bias=False)
    out = layer(backend.asarray(np.ones((2, 4), np.float32)))
    assert layer.bias is None
    assert [v.name for v in layer.weights] == ["kernel"]
    assert layer.count_params() == 12
    np.testing.assert_allclose(to_host(out), np.ones((2, 4)) @ layer.get_weights()[0], rtol=1e-5, atol=1e-6)


# --- regularizers -----------------------------------------------------------------------------------------
def test_kernel_regularizer_is_accepted_and_attached(backend):
    layer = Dense(3, kernel_regularizer="l2", bias_regularizer=regularizers.L1(0.5))
    layer.build((None, 2))
    assert isinstance(layer.kernel.regularizer, regularizers.L2)
    assert isinstance(layer.bias.regularizer, regularizers.L1)
    kernel = layer.get_weights()[0]
    penalty = to_host(layer.kernel.regularizer(layer.kernel.value))
    np.testing.assert_allclose(penalty, 0.01 * np.sum(kernel.astype(np.float64) ** 2), rtol=1e-5)


def test_kernel_regularizer_adds_to_the_evaluated_loss(backend):
    model = models.Sequential([Dense(1, input_dim=2, kernel_regularizer=regularizers.L2(0.1))])
    model.layers[0].set_weights([np.array([[1.0], [2.0]]), np.array([0.5])])
    model.compile(optimizer="sgd", loss="mse", backend=backend.name)
    x = np.array([[1.0, 1.0], [0.0, 1.0]], np.float32)
    y = np.array([[3.0], [2.0]], np.float32)
    predictions = x @ np.array([[1.0], [2.0]]) + 0.5
    expected = np.mean((predictions - y) ** 2) + 0.1 * (1.0 + 4.0)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-5)


# --- input shape keywords ---------------------------------------------------------------------------------
def test_input_dim_declares_the_input_shape(backend):
    layer = Dense(3, input_dim=4)
    assert layer._batch_input_shape == (None, 4)
    model = models.Sequential([layer])
    assert layer.built and layer.kernel.shape == (4, 3)
    assert model.count_params() == 15
    assert model.outputs[0].shape == (None, 3)


def test_input_shape_declares_the_input_shape(backend):
    layer = Dense(3, input_shape=(5, 4))
    assert layer._batch_input_shape == (None, 5, 4)
    model = models.Sequential([layer])
    assert layer.kernel.shape == (4, 3)
    assert model.outputs[0].shape == (None, 5, 3)
    out = model.predict(np.ones((2, 5, 4), np.float32), verbose=0)
    assert out.shape == (2, 5, 3)


def test_symbolic_call_gives_output_shape(backend):
    from nnkit.layers import Input

    out = Dense(6)(Input(shape=(None, 4)))
    assert out.shape == (None, None, 6)


# --- errors -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("units", [0, -3, 2.5, "8", None, True])
def test_units_must_be_a_positive_integer(units):
    with pytest.raises(ValueError, match="units must be a positive integer"):
        Dense(units)


def test_units_error_names_the_layer():
    with pytest.raises(ValueError, match="Dense 'my_dense'"):
        Dense(0, name="my_dense")


def test_numpy_integer_units_are_accepted():
    """tf.keras accepts `Dense(np.int64(n))` (e.g. `Dense(y.max() + 1)`); so must nnkit."""
    layer = Dense(np.int64(3))
    assert layer.units == 3 and type(layer.units) is int


def test_misspelt_keyword_suggests_the_right_one():
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'kernel_initializr'.*'kernel_initializer'"):
        Dense(3, kernel_initializr="zeros")


def test_misspelt_base_keyword_suggests_the_right_one():
    with pytest.raises(TypeError, match=r"'input_dims'.*Did you mean 'input_dim'"):
        Dense(3, input_dims=4)


def test_unknown_activation_or_initializer_is_a_value_error():
    with pytest.raises(ValueError, match="Unknown activation 'rellu'"):
        Dense(3, activation="rellu")
    with pytest.raises(ValueError, match="Unknown initializer"):
        Dense(3, kernel_initializer="glorot_unifrm")


def test_wrong_last_axis_names_layer_and_shapes(backend):
    layer = Dense(3, name="classifier")
    layer(backend.asarray(np.ones((2, 4), np.float32)))
    with pytest.raises(ValueError) as info:
        layer(backend.asarray(np.ones((2, 5), np.float32)))
    message = str(info.value)
    assert "'classifier'" in message
    assert "value 4" in message  # the expected width
    assert "(2, 5)" in message  # the received shape


def test_wrong_last_axis_in_a_graph_names_the_source_layer(backend):
    from nnkit.layers import Input

    layer = Dense(3, name="head")
    layer(Input(shape=(4,)))
    source = Input(shape=(5,), name="wide_input")
    with pytest.raises(ValueError, match=r"'head'.*value 4.*\(None, 5\).*'wide_input'"):
        layer(source)


def test_unknown_last_axis_cannot_build(backend):
    from nnkit.layers import Input

    with pytest.raises(ValueError, match=r"Dense 'dense_unknown' needs the last axis"):
        Dense(3, name="dense_unknown")(Input(shape=(4, None)))


def test_rank_1_input_is_rejected_on_the_first_call_too(backend):
    """InputSpec(min_ndim=2): the first (building) call must be checked like every later call, as in Keras;
    otherwise `Dense(3)(x)` with a 1-D x works once and then fails on the very same input."""
    layer = Dense(3, name="flat_dense")
    x = backend.asarray(np.ones(4, np.float32))
    with pytest.raises(ValueError, match=r"'flat_dense'.*min_ndim=2"):
        layer(x)


# --- configuration ----------------------------------------------------------------------------------------
def test_get_config_holds_constructor_arguments():
    layer = Dense(7, activation="relu", use_bias=False, kernel_initializer="he_uniform", name="d7")
    config = layer.get_config()
    assert config["name"] == "d7"
    assert config["units"] == 7
    assert config["activation"] == "relu"
    assert config["use_bias"] is False
    assert config["kernel_initializer"]["class_name"] == "HeUniform"
    assert config["kernel_regularizer"] is None
    json.dumps(config)


def test_config_round_trip_rebuilds_an_equal_layer(backend):
    layer = Dense(5, activation="tanh", input_dim=4, kernel_regularizer=regularizers.L2(0.2),
                  bias_initializer="ones", name="roundtrip")
    x = backend.asarray(X2.astype(np.float32))
    expected = to_host(layer(x))
    config = json.loads(json.dumps(layer.get_config()))
    clone = Dense.from_config(config)
    assert clone.get_config() == layer.get_config()
    assert clone.units == 5 and clone._batch_input_shape == (None, 4)
    assert isinstance(clone.kernel_regularizer, regularizers.L2) and clone.kernel_regularizer.l2 == 0.2
    clone.build((None, 4))
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(to_host(clone(x)), expected, rtol=1e-6)
    assert isinstance(layers.deserialize(layers.serialize(layer)), Dense)
