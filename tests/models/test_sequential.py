"""Sequential: stacking by list and by .add(), shape inference from the first layer's input shape (or an
Input, or the first data), the errors of incompatible stacks, pop(), `layers`, and the config round trip.
Every test runs on each installed backend (the conftest `backend` fixture)."""
import json

import numpy as np
import pytest

import nnkit
from nnkit import layers
from nnkit.layers import Dense, Input, InputLayer
from nnkit.models import Sequential

RNG = np.random.default_rng(20)
X8 = RNG.standard_normal((6, 8)).astype("float32")
X3 = RNG.standard_normal((5, 3)).astype("float32")


def _kernel_shapes(model):
    return [tuple(v.shape) for v in model.weights if v.name == "kernel"]


def _as_numpy(value):
    return np.asarray(value)


def _first_layer_variants():
    """The ways Keras lets the first layer of a Sequential declare its input."""
    return {
        "input_dim": lambda: [Dense(12, input_dim=8, activation="relu")],
        "input_shape": lambda: [Dense(12, input_shape=(8,), activation="relu")],
        "batch_input_shape": lambda: [Dense(12, batch_input_shape=(None, 8), activation="relu")],
        "Input": lambda: [Input(shape=(8,)), Dense(12, activation="relu")],
        "InputLayer": lambda: [InputLayer(shape=(8,)), Dense(12, activation="relu")],
    }


# --- building ------------------------------------------------------------------------------------------
def test_list_and_add_build_the_same_model(backend):
    nnkit.set_random_seed(3)
    listed = Sequential([Dense(12, input_dim=8, activation="relu"), Dense(8, activation="relu"),
                         Dense(1, activation="sigmoid")])
    nnkit.set_random_seed(3)
    added = Sequential()
    added.add(Dense(12, input_dim=8, activation="relu"))
    added.add(Dense(8, activation="relu"))
    added.add(Dense(1, activation="sigmoid"))

    assert _kernel_shapes(listed) == _kernel_shapes(added) == [(8, 12), (12, 8), (8, 1)]
    assert listed.count_params() == added.count_params() == 221
    for a, b in zip(listed.get_weights(), added.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(_as_numpy(listed(X8)), _as_numpy(added(X8)), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("variant", sorted(_first_layer_variants()))
def test_only_the_first_layer_needs_an_input_shape(backend, variant):
    model = Sequential(_first_layer_variants()[variant]())
    model.add(Dense(8, activation="relu"))
    model.add(Dense(1))

    assert model.built
    assert _kernel_shapes(model) == [(8, 12), (12, 8), (8, 1)]
    assert tuple(model.inputs[0].shape) == (None, 8)
    assert tuple(model.outputs[0].shape) == (None, 1)
    assert _as_numpy(model(X8)).shape == (6, 1)


def test_later_layers_infer_shapes_through_shape_changing_layers(backend):
    model = Sequential([
        Input(shape=(2, 3)),
        layers.Flatten(),
        Dense(4, activation="relu"),
        layers.Reshape((2, 2)),
        layers.Flatten(),
        Dense(5),
    ])
    assert _kernel_shapes(model) == [(6, 4), (4, 5)]
    assert [tuple(layer._inbound_nodes[-1].outputs[0].shape) for layer in model.layers] == [
        (None, 6), (None, 4), (None, 2, 2), (None, 4), (None, 5)]
    out = _as_numpy(model(RNG.standard_normal((7, 2, 3)).astype("float32")))
    assert out.shape == (7, 5)


def test_without_an_input_shape_the_model_waits_for_data(backend):
    model = Sequential([Dense(4, activation="relu"), Dense(2)])
    assert not model.built
    assert model.weights == []
    with pytest.raises(ValueError, match="not built"):
        model.count_params()


def test_calling_on_the_first_data_builds_the_model(backend):
    model = Sequential([Dense(4, activation="relu"), Dense(2)])
    out = _as_numpy(model(X3))
    assert out.shape == (5, 2)
    assert model.built
    assert _kernel_shapes(model) == [(3, 4), (4, 2)]
    assert model.count_params() == 3 * 4 + 4 + 4 * 2 + 2
    assert tuple(model.inputs[0].shape) == (None, 3)


def test_explicit_build_with_a_batch_shape(backend):
    model = Sequential([Dense(4), Dense(2)])
    model.build((None, 3))
    assert model.built
    assert _kernel_shapes(model) == [(3, 4), (4, 2)]


def test_predict_on_the_first_data_builds_the_model(backend):
    model = Sequential([Dense(4, activation="relu"), Dense(2)])
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    out = model.predict(X3, verbose=0)
    assert out.shape == (5, 2)
    assert _kernel_shapes(model) == [(3, 4), (4, 2)]


def test_fit_on_the_first_data_builds_the_model(backend):
    model = Sequential([Dense(4, activation="relu"), Dense(2)])
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    history = model.fit(X3, np.zeros((5, 2), "float32"), batch_size=5, epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1
    assert _kernel_shapes(model) == [(3, 4), (4, 2)]
    assert model.evaluate(X3, np.zeros((5, 2), "float32"), batch_size=5, verbose=0) >= 0.0
    assert model.predict(X3, batch_size=5, verbose=0).shape == (5, 2)


# --- incompatible stacks ----------------------------------------------------------------------------------
def test_adding_an_incompatible_layer_names_both_layers(backend):
    model = Sequential([Dense(4, input_shape=(5,), name="first_dense")])
    second = Dense(3, name="second_dense")
    second.build((None, 7))  # already expects 7 features; the previous layer gives 4
    with pytest.raises(ValueError) as info:
        model.add(second)
    message = str(info.value)
    assert "first_dense" in message and "second_dense" in message
    assert "(None, 4)" in message
    # the failed add leaves the model as it was, and usable
    assert [layer.name for layer in model.layers] == ["first_dense"]
    assert _as_numpy(model(RNG.standard_normal((2, 5)).astype("float32"))).shape == (2, 4)


def test_incompatible_reshape_names_both_layers(backend):
    model = Sequential([Input(shape=(5,)), Dense(4, name="producer")])
    with pytest.raises(ValueError) as info:
        model.add(layers.Reshape((3,), name="consumer"))
    assert "producer" in str(info.value) and "consumer" in str(info.value)


def test_incompatible_layer_in_the_constructor_list_names_both_layers(backend):
    bad = Dense(2, name="wants_seven")
    bad.build((None, 7))
    with pytest.raises(ValueError, match=r"wants_seven.*gives_three|gives_three.*wants_seven"):
        Sequential([Dense(3, input_dim=4, name="gives_three"), bad])


def test_add_rejects_what_is_not_a_layer(backend):
    model = Sequential([Dense(2, input_dim=3)])
    with pytest.raises(TypeError, match="layer"):
        model.add("dense")


def test_an_input_can_only_come_first(backend):
    model = Sequential([Dense(2, input_dim=3)])
    with pytest.raises(ValueError, match="Input"):
        model.add(Input(shape=(3,)))


# --- pop and layers ------------------------------------------------------------------------------------
def test_pop_removes_the_last_layer_and_rewires_the_output(backend):
    model = Sequential([Input(shape=(8,)), Dense(12, name="a"), Dense(8, name="b"), Dense(1, name="c")])
    model.pop()
    assert [layer.name for layer in model.layers] == ["a", "b"]
    assert tuple(model.outputs[0].shape) == (None, 8)
    assert model.count_params() == 108 + 104
    assert _as_numpy(model(X8)).shape == (6, 8)
    model.add(Dense(3, name="d"))
    assert tuple(model.outputs[0].shape) == (None, 3)
    assert _as_numpy(model(X8)).shape == (6, 3)


def test_pop_on_an_empty_model_is_an_error(backend):
    with pytest.raises(ValueError, match="no layers"):
        Sequential().pop()


@pytest.mark.parametrize("variant", ["Input", "input_dim"])
def test_layers_excludes_the_input_layer(backend, variant):
    first = [Input(shape=(8,)), Dense(4, name="only")] if variant == "Input" else [Dense(4, input_dim=8, name="only")]
    model = Sequential(first)
    assert [layer.name for layer in model.layers] == ["only"]
    assert not any(isinstance(layer, InputLayer) for layer in model.layers)


# --- config round trip ------------------------------------------------------------------------------------
def test_config_round_trip_gives_the_same_predictions_after_set_weights(backend):
    model = Sequential([
        Dense(12, input_dim=8, kernel_initializer="uniform", activation="relu"),
        Dense(8, activation="tanh"),
        Dense(1, activation="sigmoid"),
    ], name="roundtrip")
    config = json.loads(json.dumps(model.get_config()))  # the config is plain JSON
    clone = Sequential.from_config(config)

    assert clone.name == "roundtrip"
    assert [type(layer).__name__ for layer in clone.layers] == ["Dense", "Dense", "Dense"]
    assert [layer.units for layer in clone.layers] == [12, 8, 1]
    assert [layer.get_config()["activation"] for layer in clone.layers] == ["relu", "tanh", "sigmoid"]
    assert _kernel_shapes(clone) == _kernel_shapes(model)
    # fresh weights first: the clone is a new model, not a copy of the old one's values
    assert not np.allclose(_as_numpy(clone(X8)), _as_numpy(model(X8)))

    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(_as_numpy(clone(X8)), _as_numpy(model(X8)))


def test_config_round_trip_of_an_unbuilt_model(backend):
    model = Sequential([Dense(4, activation="relu", name="p"), Dense(2, name="q")])
    clone = Sequential.from_config(model.get_config())
    assert not clone.built
    assert [layer.name for layer in clone.layers] == ["p", "q"]
    model(X3)
    clone(X3)
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(_as_numpy(clone(X3)), _as_numpy(model(X3)))
