"""Lambda: wraps a function written with nnkit.ops as a layer: eager calls, arguments, symbolic shape
inference (by running the function, or from output_shape), gradients, and configs that name the function
without storing code (rebuilding needs custom_objects; loading never executes anything)."""
import json

import numpy as np
import pytest

import nnkit
from gradcheck import check_forward, check_gradients, to_host
from nnkit import Input, layers, ops

X = np.arange(6, dtype=np.float64).reshape(2, 3) / 4.0 - 0.5


def double_and_shift(x, shift=0.0):
    return ops.add(ops.multiply(x, 2.0), shift)


def duplicate(x):
    return ops.concatenate([x, x], axis=-1)


def test_eager_call_matches_numpy(backend):
    layer = layers.Lambda(lambda x: ops.square(x))
    check_forward(lambda t: layer(t), np.square, X)


def test_arguments_are_passed_as_keywords(backend):
    layer = layers.Lambda(double_and_shift, arguments={"shift": 1.5})
    check_forward(lambda t: layer(t), lambda t: 2.0 * t + 1.5, X)


def test_symbolic_shape_is_inferred_by_running_the_function():
    assert layers.Lambda(duplicate)(Input(shape=(3,))).shape == (None, 6)
    assert layers.Lambda(lambda x: ops.sum(x, axis=-1))(Input(shape=(4, 5))).shape == (None, 4)
    assert layers.Lambda(lambda x: ops.expand_dims(x, 1))(Input(shape=(2,))).shape == (None, 1, 2)


def test_symbolic_shape_keeps_unknown_axes_unknown():
    """An axis of unknown size (None) must stay None through the layer, not become the dummy size 1."""
    assert layers.Lambda(lambda x: ops.multiply(x, 2.0))(Input(shape=(None, 4))).shape == (None, None, 4)


def test_output_shape_tuple_excludes_the_batch_axis():
    layer = layers.Lambda(lambda x: ops.reshape(x, (-1, 2, 3)), output_shape=(2, 3))
    assert layer(Input(shape=(6,))).shape == (None, 2, 3)
    assert layer.compute_output_shape((None, 6)) == (None, 2, 3)


def test_output_shape_callable_gets_the_full_input_shape():
    seen = []

    def shape_fn(input_shape):
        seen.append(tuple(input_shape))
        return (input_shape[0], input_shape[1] * 2)

    out = layers.Lambda(duplicate, output_shape=shape_fn)(Input(shape=(3,)))
    assert out.shape == (None, 6)
    assert seen == [(None, 3)]


def test_gradient_through_the_layer(backend):
    layer = layers.Lambda(lambda x: ops.multiply(ops.tanh(x), x))
    check_gradients(lambda t: layer(t), X)


def test_in_a_functional_model(backend):
    inputs = Input(shape=(3,))
    outputs = layers.Lambda(double_and_shift, arguments={"shift": -1.0})(layers.Lambda(duplicate)(inputs))
    model = nnkit.Model(inputs, outputs)
    x = X.astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), 2.0 * np.concatenate([x, x], axis=-1) - 1.0,
                               rtol=1e-6)


def test_function_must_be_callable():
    with pytest.raises(TypeError, match="Lambda 'not_callable': function must be callable"):
        layers.Lambda("lambda x: x", name="not_callable")


def test_config_names_the_function_and_stores_no_code():
    layer = layers.Lambda(double_and_shift, output_shape=(3,), arguments={"shift": 2.0}, name="lam")
    config = layer.get_config()
    assert config["function"]["class_name"] == "function"
    assert config["function"]["config"] == "double_and_shift"
    assert "code" not in json.dumps(config)
    assert config["output_shape"] == [3]
    assert config["arguments"] == {"shift": 2.0}
    json.dumps(config)


def test_from_config_without_custom_objects_is_a_clear_error():
    config = layers.Lambda(double_and_shift, name="needs_code").get_config()
    with pytest.raises(ValueError, match=r"'needs_code'.*'double_and_shift'.*custom_objects"):
        layers.Lambda.from_config(config)
    with pytest.raises(ValueError, match="custom_objects"):
        layers.deserialize(layers.serialize(layers.Lambda(double_and_shift)))


def test_from_config_with_custom_objects_rebuilds_the_layer(backend):
    layer = layers.Lambda(double_and_shift, arguments={"shift": 0.25}, output_shape=(3,))
    config = json.loads(json.dumps(layer.get_config()))
    clone = layers.Lambda.from_config(config, custom_objects={"double_and_shift": double_and_shift})
    assert clone.function is double_and_shift
    assert clone.arguments == {"shift": 0.25}
    x = backend.asarray(X)
    np.testing.assert_allclose(to_host(clone(x)), to_host(layer(x)))
    via_registry = layers.deserialize({"class_name": "Lambda", "config": config},
                                      custom_objects={"double_and_shift": double_and_shift})
    np.testing.assert_allclose(to_host(via_registry(x)), to_host(layer(x)))


def test_loading_never_executes_stored_code():
    executed = []
    hostile = {
        "name": "hostile", "trainable": True, "dtype": "float32", "output_shape": None, "arguments": {},
        "function": "__import__('builtins').print('pwned') or executed.append(1)",
    }
    with pytest.raises(ValueError, match="custom_objects"):
        layers.Lambda.from_config(hostile)
    with pytest.raises(ValueError, match="custom_objects"):
        layers.deserialize({"class_name": "Lambda", "config": dict(hostile, function="lambda x: x + 1")})
    assert executed == []


def test_anonymous_lambda_is_stored_as_keras_3_lambda_bytecode():
    config = layers.Lambda(lambda x: x).get_config()
    assert config["function"]["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(config)
