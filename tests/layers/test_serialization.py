"""nnkit.layers.serialize / deserialize: layers (and models) to and from {'class_name', 'config'}
dictionaries, looked up by class name only; custom classes through custom_objects; clear errors."""
import json

import numpy as np
import pytest

import nnkit
from gradcheck import to_host
from nnkit import Input, layers, ops
from nnkit.layers import deserialize, serialize
from nnkit.layers.layer import Layer


class Offset(Layer):
    def __init__(self, offset=1.0, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset

    def call(self, inputs):
        return ops.add(inputs, self.offset)

    def get_config(self):
        return {**super().get_config(), "offset": self.offset}


BUILTIN = [
    lambda: layers.Dense(3, activation="relu", name="ser_dense"),
    lambda: layers.Activation("tanh"),
    lambda: layers.Dropout(0.2),
    lambda: layers.Flatten(),
    lambda: layers.Reshape((1, -1)),
    lambda: layers.InputLayer(shape=(4,)),
]


def test_serialize_gives_class_name_and_config():
    layer = layers.Dense(3, name="ser")
    data = serialize(layer)
    assert set(data) == {"class_name", "config"}
    assert data["class_name"] == "Dense"
    assert data["config"] == layer.get_config()


@pytest.mark.parametrize("make", BUILTIN, ids=lambda m: type(m()).__name__)
def test_builtin_layers_round_trip_through_json(backend, make):
    layer = make()
    data = json.loads(json.dumps(serialize(layer)))
    clone = deserialize(data)
    assert type(clone) is type(layer)
    assert clone is not layer
    assert json.loads(json.dumps(clone.get_config())) == data["config"]
    x = backend.asarray(np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4))
    layer(x)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(to_host(clone(x)), to_host(layer(x)), rtol=1e-6)


def test_unknown_class_is_a_clear_error():
    with pytest.raises(ValueError, match=r"Unknown layer class 'Conv9D'.*custom_objects=\{'Conv9D': Conv9D\}"):
        deserialize({"class_name": "Conv9D", "config": {}})


def test_class_names_are_looked_up_not_imported_or_evaluated():
    for name in ["os.system", "nnkit.layers.Dense", "__import__('os').getcwd()", "Layer.__subclasses__"]:
        with pytest.raises(ValueError, match="Unknown layer class"):
            deserialize({"class_name": name, "config": {}})


@pytest.mark.parametrize("name", ["InputSpec", "SymbolicTensor", "Node"])
def test_non_layer_classes_are_not_deserializable(name):
    """Only Layer subclasses count as layer classes; any other name is the same clear error."""
    with pytest.raises(ValueError, match=f"Unknown layer class '{name}'"):
        deserialize({"class_name": name, "config": {}})


def test_custom_class_through_custom_objects(backend):
    layer = Offset(2.5, name="off")
    data = serialize(layer)
    with pytest.raises(ValueError, match="Unknown layer class 'Offset'"):
        deserialize(data)
    clone = deserialize(data, custom_objects={"Offset": Offset})
    assert isinstance(clone, Offset) and clone.offset == 2.5 and clone.name == "off"
    x = backend.asarray(np.zeros((1, 2), np.float32))
    np.testing.assert_allclose(to_host(clone(x)), [[2.5, 2.5]])


def test_custom_objects_can_override_a_builtin_name():
    class Dense(Offset):
        pass

    clone = deserialize({"class_name": "Dense", "config": {"offset": 3.0}}, custom_objects={"Dense": Dense})
    assert type(clone) is Dense


def test_bad_config_for_a_known_class_is_a_type_error():
    with pytest.raises(TypeError, match=r"'unitz'.*'units'"):
        deserialize({"class_name": "Dense", "config": {"units": 2, "unitz": 3}})


def test_sequential_round_trip(backend):
    model = nnkit.Sequential([Input(shape=(2, 2)), layers.Flatten(), layers.Dense(3, activation="tanh"),
                              layers.Dropout(0.1), layers.Reshape((3, 1)), layers.Activation("relu")])
    data = json.loads(json.dumps(serialize(model)))
    assert data["class_name"] == "Sequential"
    assert [entry["class_name"] for entry in data["config"]["layers"]] == [
        "InputLayer", "Flatten", "Dense", "Dropout", "Reshape", "Activation"]
    clone = deserialize(data)
    assert isinstance(clone, nnkit.Sequential)
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).standard_normal((4, 2, 2)).astype(np.float32)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_functional_round_trip_with_custom_layer(backend):
    inputs = Input(shape=(3,), name="in")
    outputs = Offset(0.5)(layers.Dense(2)(inputs))
    model = nnkit.Model(inputs, outputs)
    data = json.loads(json.dumps(serialize(model)))
    clone = deserialize(data, custom_objects={"Offset": Offset})
    clone.set_weights(model.get_weights())
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
