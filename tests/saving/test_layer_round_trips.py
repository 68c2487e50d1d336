"""Every Layer class nnkit.layers exports survives JSON, Keras 3 weights files and `.keras` archives with equal
configs, weights and predictions on NumPy; a few per family also YAML and legacy `.h5`, and JAX -> NumPy."""
import json

import numpy as np
import pytest
import yaml

import nnkit
from nnkit.backends import available_backends
from saving.layer_table import CUSTOM_OBJECTS, TABLE, build, exported_layer_classes

CLASSES = sorted(exported_layer_classes())


def test_every_exported_layer_class_has_an_entry():
    missing = [name for name in CLASSES if name not in TABLE]
    assert not missing, f"add these layer classes to tests/saving/layer_table.py TABLE: {missing}"


def _same_config(a, config):
    assert json.loads(a.to_json()) == config


@pytest.mark.parametrize("class_name", CLASSES)
def test_round_trip_on_numpy(class_name, tmp_path):
    model, x = build(class_name)
    expected = model.predict(x, verbose=0)
    model.save_weights(tmp_path / "w.weights.h5")

    text = model.to_json()
    config = json.loads(text)
    from_json = nnkit.models.model_from_json(text, custom_objects=CUSTOM_OBJECTS)
    _same_config(from_json, config)
    from_json.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(from_json.predict(x, verbose=0), expected)

    model.save(tmp_path / "m.keras")
    loaded = nnkit.models.load_model(tmp_path / "m.keras", custom_objects=CUSTOM_OBJECTS)
    _same_config(loaded, config)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)


@pytest.mark.parametrize("class_name", ["BatchNormalization", "Bidirectional", "Conv2D", "Embedding",
                                        "MultiHeadAttention"])
def test_yaml_and_legacy_h5_round_trips(class_name, tmp_path):
    model, x = build(class_name)
    config = json.loads(model.to_json())
    text = model.to_yaml()
    assert yaml.load(text, Loader=yaml.CSafeLoader) == config
    _same_config(nnkit.models.model_from_yaml(text, custom_objects=CUSTOM_OBJECTS), config)
    model.save(tmp_path / "m.h5")
    loaded = nnkit.models.load_model(tmp_path / "m.h5")
    _same_config(loaded, config)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# One class per family on JAX (an XLA compile per model: all classes would take a minute).
ON_JAX = ["BatchNormalization", "Conv2D", "Dense", "Embedding", "LSTM", "MultiHeadAttention"]


@pytest.mark.skipif("jax" not in available_backends(), reason="needs JAX")
def test_saved_on_jax_loads_on_numpy_with_the_same_outputs(tmp_path):
    """Compiled for JAX, saved, loaded back on NumPy: the same outputs."""
    for class_name in ON_JAX:
        model, x = build(class_name)
        model.compile(optimizer="sgd", loss="mse", backend="jax")
        on_jax = model.predict(x, verbose=0)
        path = tmp_path / f"{class_name}.keras"
        model.save(path)
        loaded = nnkit.models.load_model(path, custom_objects=CUSTOM_OBJECTS, backend="numpy")
        assert loaded.backend.name == "numpy"
        np.testing.assert_allclose(loaded.predict(x, verbose=0), on_jax, rtol=2e-5, atol=2e-6,
                                   err_msg=class_name)
