"""Operators and nnkit.ops on symbolic tensors build graph nodes (OpLayer) that train, summarize and serialize."""
import io
import json
import contextlib

import numpy as np
import pytest

import nnkit
from nnkit import layers, ops
from nnkit.layers.symbolic import SymbolicTensor

W = np.arange(12, dtype=np.float32).reshape(4, 3) / 10.0


def _residual_model():
    """Residual sum, scaling, negation, slicing, matmul by a constant and ops functions in one graph."""
    inputs = nnkit.Input((4,))
    x = layers.Dense(4, name="hidden")(inputs)
    x += inputs
    x = 2 * x - 1.0
    x = -x / 4
    y = x @ W
    first = y[:, 0:1]
    outputs = ops.concatenate([ops.tanh(first), ops.sum(y, axis=-1, keepdims=True), abs(y[..., 1:2])], axis=-1)
    return nnkit.Model(inputs, outputs)


def _reference(model, x):
    kernel, bias = model.get_layer("hidden").get_weights()
    h = x @ kernel + bias + x
    h = -(2 * h - 1.0) / 4
    y = h @ W
    return np.concatenate([np.tanh(y[:, :1]), y.sum(-1, keepdims=True), np.abs(y[:, 1:2])], axis=-1)


X = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)


def test_operators_record_op_layers_with_shapes_and_dtypes():
    inputs = nnkit.Input((3, 4))
    assert isinstance(inputs + 1, SymbolicTensor)
    assert (inputs[:, 0]).shape == (None, 4)
    assert (inputs @ np.ones((4, 2), np.float32)).shape == (None, 3, 2)
    assert (np.ones((4,), np.float32) * inputs).shape == (None, 3, 4)
    assert (inputs > 0).dtype == "bool"
    assert ops.cast(inputs, "int32").dtype == "int32"
    assert ops.cast(inputs, np.float16).layer.get_config()["arguments"]["args"][1] == {"__dtype__": "float16"}
    assert (-inputs).layer.op == "negative"
    assert ops.zeros_like(inputs).shape == (None, 3, 4)


def test_graph_with_ops_computes_like_numpy(backend):
    model = _residual_model()
    np.testing.assert_allclose(np.asarray(model.predict(X, verbose=0)), _reference(model, X), rtol=1e-5, atol=1e-6)


def test_graph_with_ops_trains(backend):
    model = _residual_model()
    model.compile(optimizer=nnkit.optimizers.SGD(0.05), loss="mse", backend=backend.name)
    y = np.ones((6, 3), np.float32)
    history = model.fit(X, y, epochs=3, batch_size=6, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_config_round_trip_by_op_name_without_pickling():
    model = _residual_model()
    config = model.get_config()
    text = json.dumps(config)
    assert '"op": "getitem"' in text and "__slice__" in text and "__array__" in text
    rebuilt = nnkit.Model.from_config(json.loads(text))
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_saved_archive_reloads(tmp_path):
    model = _residual_model()
    path = tmp_path / "ops.keras"
    model.save(path)
    loaded = nnkit.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_summary_lists_op_layers():
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        _residual_model().summary()
    text = buffer.getvalue()
    assert "(OpLayer)" in text and "matmul" in text and "Total params: 20" in text


def test_unrecordable_argument_is_a_clear_error():
    with pytest.raises(TypeError, match="cannot record"):
        nnkit.Input((2,)) + object()


def test_symbolic_tensors_cannot_be_iterated():
    with pytest.raises(TypeError, match="cannot be iterated"):
        list(nnkit.Input((2,)))


def test_unknown_op_name_is_rejected():
    with pytest.raises(ValueError, match="no op named 'not_an_op'"):
        layers.OpLayer("not_an_op")


def test_ops_infer_shapes_from_inputs_of_their_own_dtype():
    """Shapes and dtypes come from one set of runs on zeros of each input's dtype: integer indices stay integers."""
    indices = nnkit.Input((3,), dtype="int32")
    gathered = ops.take(np.arange(10, dtype=np.float32) * 2, indices)
    assert gathered.shape == (None, 3) and gathered.dtype == "float32"
    model = nnkit.Model(indices, gathered)
    np.testing.assert_allclose(np.asarray(model.predict(np.array([[1, 2, 3]], np.int32), verbose=0)), [[2, 4, 6]])
