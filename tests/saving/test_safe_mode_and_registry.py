"""Loading runs no stored code: a Lambda's function comes back only through custom_objects, the registry or
safe_mode=False; custom classes come back by registered name ('package>Name') or custom_objects."""
import json

import numpy as np
import pytest

import nnkit
from nnkit import layers, ops
from nnkit.saving import register_serializable

X = np.arange(8, dtype=np.float32).reshape(2, 4)


def triple(x):
    return ops.multiply(x, 3.0)


def _lambda_model(function):
    inputs = nnkit.Input((4,))
    return nnkit.Model(inputs, layers.Lambda(function, name="code")(inputs))


@pytest.mark.parametrize("function", [lambda x: ops.add(x, 1.0), triple], ids=["lambda", "named"])
def test_lambda_code_needs_safe_mode_false(function, tmp_path):
    model = _lambda_model(function)
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match=r"Lambda layer 'code'.*safe_mode=False"):
        nnkit.models.load_model(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        nnkit.models.model_from_json(model.to_json())
    loaded = nnkit.models.load_model(tmp_path / "m.keras", safe_mode=False)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_named_function_through_custom_objects_needs_no_opt_in():
    model = nnkit.models.model_from_json(_lambda_model(triple).to_json(), custom_objects={"triple": triple})
    np.testing.assert_array_equal(model.predict(X, verbose=0), 3 * X)


def test_yaml_loading_constructs_no_python_objects():
    hostile = "!!python/object/apply:os.system ['echo pwned']"
    with pytest.raises(ValueError, match="cannot be read safely"):
        nnkit.models.model_from_yaml(hostile)


@register_serializable(package="tests")
class Scale(layers.Layer):
    """A custom layer with one weight and a constructor argument."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, x):
        return ops.multiply(ops.multiply(x, self.scale), self.factor)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Unregistered(Scale):
    """The same layer, not registered."""


def test_registered_custom_layer_round_trips_by_registered_name(tmp_path):
    inputs = nnkit.Input((4,))
    model = nnkit.Model(inputs, Scale(3.0, name="scale_layer")(inputs))
    model.get_layer("scale_layer").set_weights([np.array([1.0, 2.0, 3.0, 4.0], np.float32)])
    config = json.loads(model.to_json())
    assert config["config"]["layers"][1]["registered_name"] == "tests>Scale"
    assert nnkit.saving.get_registered_object("tests>Scale") is Scale
    model.save(tmp_path / "m.keras")
    loaded = nnkit.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.get_layer("scale_layer"), Scale)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_unregistered_custom_layer_needs_custom_objects():
    inputs = nnkit.Input((4,))
    text = nnkit.Model(inputs, Unregistered(name="plain")(inputs)).to_json()
    with pytest.raises(ValueError, match=r"Unknown layer class 'Unregistered'.*custom_objects"):
        nnkit.models.model_from_json(text)
    model = nnkit.models.model_from_json(text, custom_objects={"Unregistered": Unregistered})
    assert type(model.get_layer("plain")) is Unregistered
