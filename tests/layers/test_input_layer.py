"""Input() and InputLayer: the symbolic entry tensors of a graph (shape (None, ...), batch_shape, dtype,
names), InputLayer's constructor keywords and config, and its role in models."""
import json

import numpy as np
import pytest

import nnkit
from gradcheck import to_host
from nnkit import Input, layers
from nnkit.layers import InputLayer
from nnkit.layers.symbolic import SymbolicTensor


def test_input_shape_gets_an_unknown_batch_axis():
    x = Input(shape=(784,))
    assert isinstance(x, SymbolicTensor)
    assert x.shape == (None, 784)
    assert x.ndim == 2
    assert x.dtype == "float32"
    assert isinstance(x.layer, InputLayer)
    assert x.layer.batch_shape == (None, 784)


def test_int_shape_and_multi_axis_shapes():
    assert Input(shape=3).shape == (None, 3)
    assert Input(shape=(None, 4)).shape == (None, None, 4)
    assert Input(shape=(28, 28, 1)).shape == (None, 28, 28, 1)
    assert Input(shape=[5]).shape == (None, 5)


def test_batch_size_and_batch_shape():
    assert Input(shape=(3,), batch_size=8).shape == (8, 3)
    assert Input(batch_shape=(None, 2, 3)).shape == (None, 2, 3)
    assert Input(batch_shape=(16, 4)).shape == (16, 4)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "bool"])
def test_dtype(dtype):
    x = Input(shape=(3,), dtype=dtype)
    assert x.dtype == dtype and x.layer.dtype == dtype


def test_default_dtype_follows_floatx():
    from nnkit import config

    previous = config.floatx()
    try:
        config.set_floatx("float64")
        assert Input(shape=(2,)).dtype == "float64"
    finally:
        config.set_floatx(previous)
    assert Input(shape=(2,)).dtype == previous


def test_names():
    from nnkit.utils import clear_session

    clear_session()
    assert Input(shape=(1,)).layer.name == "input_layer"
    assert Input(shape=(1,)).layer.name == "input_layer_1"
    named = Input(shape=(1,), name="features")
    assert named.layer.name == "features" and named.name == "features"


def test_symbolic_tensor_has_no_values():
    x = Input(shape=(3,))
    with pytest.raises(TypeError, match="is symbolic: it has no values"):
        np.asarray(x)


def test_input_needs_a_shape():
    with pytest.raises(ValueError, match=r"InputLayer needs a shape"):
        Input()
    with pytest.raises(ValueError, match=r"InputLayer needs a shape"):
        InputLayer()


def test_input_layer_keywords():
    assert InputLayer(shape=(3,)).batch_shape == (None, 3)
    assert InputLayer(input_shape=(3, 2)).batch_shape == (None, 3, 2)
    assert InputLayer(batch_input_shape=(4, 3)).batch_shape == (4, 3)
    assert InputLayer(shape=(3,), batch_size=2).batch_shape == (2, 3)
    layer = InputLayer(shape=(3,))
    assert layer.built and layer.weights == [] and layer.count_params() == 0
    assert layer.output.shape == (None, 3) and layer.output.layer is layer


def test_input_layer_misspelt_keyword():
    with pytest.raises(TypeError, match=r"'batch_shap'.*'batch_size'|'batch_shap'.*'batch_input_shape'"):
        InputLayer(shape=(3,), batch_shap=(None, 3))


def test_input_layer_passes_data_through(backend):
    x = backend.asarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(to_host(InputLayer(shape=(3,))(x)), to_host(x))


def test_config_round_trip():
    layer = InputLayer(shape=(3, 2), batch_size=5, dtype="int32", name="ids")
    config = json.loads(json.dumps(layer.get_config()))
    assert config == {"name": "ids", "dtype": "int32", "batch_input_shape": [5, 3, 2]}
    clone = InputLayer.from_config(config)
    assert clone.batch_shape == (5, 3, 2) and clone.dtype == "int32" and clone.name == "ids"
    assert clone.output.shape == (5, 3, 2)
    # A config carrying the base Layer's 'trainable' key is accepted too.
    assert InputLayer.from_config(dict(config, trainable=True)).batch_shape == (5, 3, 2)


def test_functional_model_from_input(backend):
    inputs = Input(shape=(4,), name="x_in")
    dense = layers.Dense(2)
    model = nnkit.Model(inputs, dense(inputs))
    assert model.input_names == ["x_in"]
    assert model.inputs == [inputs]
    x = np.ones((3, 4), np.float32)
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ kernel + bias, rtol=1e-6)


def test_model_rejects_data_of_the_wrong_sample_shape(backend):
    inputs = Input(shape=(4,), name="needs_four")
    model = nnkit.Model(inputs, layers.Dense(2)(inputs))
    with pytest.raises(ValueError, match=r"'needs_four'.*\(4,\).*\(5,\)"):
        model.predict(np.ones((3, 5), np.float32), verbose=0)


def test_input_in_sequential(backend):
    model = nnkit.Sequential([Input(shape=(3,)), layers.Dense(2)])
    assert model.layers[0].kernel.shape == (3, 2)
    assert model.count_params() == 8
