"""The functional API: building graphs of layer calls from Input tensors, checking them at once, and
running them (structure, shape errors, several inputs/outputs, shared layers, summary, feature extraction)."""
import numpy as np
import pytest

import nnkit
from nnkit import ops
from nnkit.layers import Add, Dense, Input, InputLayer, concatenate
from nnkit.layers.call_context import CallContext
from nnkit.layers.symbolic import SymbolicTensor
from nnkit.models import Functional, Model
from nnkit.ops.variable import Assigned

RNG = np.random.default_rng(11)


@pytest.fixture(autouse=True)
def seeded():
    """Every test starts from the same host seed, so its initial weights do not depend on test order."""
    nnkit.set_random_seed(20240)


def relu(x):
    return np.maximum(x, 0.0)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def dense(x, layer, activation=lambda z: z):
    kernel, bias = layer.get_weights()
    return activation(x @ kernel + bias)


def on(backend, model):
    """Tie an uncompiled model to `backend` (predict and direct calls otherwise use the default backend)."""
    model.compile(backend=backend.name)
    assert model.backend is backend
    return model


def lines_of_summary(model):
    lines = []
    model.summary(print_fn=lines.append)
    return lines


def two_in_two_out():
    """Two inputs (4 and 3 features) joined by a concatenate; a regression and a 3-class head."""
    a = Input(shape=(4,), name="a")
    b = Input(shape=(3,), name="b")
    da = Dense(5, activation="relu", name="da")(a)
    db = Dense(5, activation="relu", name="db")(b)
    joined = concatenate([da, db], name="joined")
    out1 = Dense(1, name="out1")(joined)
    out2 = Dense(3, activation="softmax", name="out2")(joined)
    return a, b, out1, out2


def reference_two_in_two_out(model, xa, xb):
    joined = np.concatenate([dense(xa, model.get_layer("da"), relu), dense(xb, model.get_layer("db"), relu)], axis=-1)
    return dense(joined, model.get_layer("out1")), dense(joined, model.get_layer("out2"), softmax)


# --- building a model -------------------------------------------------------------------------------------------
def test_mnist_style_mlp_builds_and_predicts(backend):
    inputs = Input(shape=(784,))
    x = Dense(64, activation="relu", name="h1")(inputs)
    x = Dense(64, activation="relu", name="h2")(x)
    outputs = Dense(10, activation="softmax", name="probs")(x)
    model = on(backend, Model(inputs=inputs, outputs=outputs))

    assert isinstance(model, Model) and isinstance(model, nnkit.Model) and isinstance(model, Functional)
    assert isinstance(x, SymbolicTensor) and x.shape == (None, 64) and outputs.shape == (None, 10)
    assert model.count_params() == (784 * 64 + 64) + (64 * 64 + 64) + (64 * 10 + 10)
    data = RNG.standard_normal((7, 784)).astype("float32")
    predicted = model.predict(data, verbose=0)
    assert isinstance(predicted, np.ndarray) and predicted.shape == (7, 10)
    expected = dense(dense(dense(data, model.get_layer("h1"), relu), model.get_layer("h2"), relu),
                     model.get_layer("probs"), softmax)
    np.testing.assert_allclose(predicted, expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(predicted.sum(axis=1), 1.0, rtol=1e-5)


def test_model_constructors_agree():
    inputs = Input(shape=(3,))
    outputs = Dense(2)(inputs)
    for model in (nnkit.models.Model(inputs=inputs, outputs=outputs), nnkit.Model(inputs, outputs),
                  Model(inputs, outputs=outputs, name="named")):
        assert isinstance(model, Functional)
        assert model.inputs == [inputs] and model.outputs == [outputs]
    assert nnkit.Model is nnkit.models.Model
    assert Model(inputs, outputs, name="named_model").name == "named_model"


def test_calling_a_model_on_data_directly(backend):
    inputs = Input(shape=(3,))
    model = on(backend, Model(inputs, Dense(2, activation="tanh", name="t")(inputs)))
    data = RNG.standard_normal((4, 3)).astype("float32")
    out = model(data)
    assert backend.is_array(out) and tuple(out.shape) == (4, 2)
    np.testing.assert_allclose(backend.to_numpy(out), dense(data, model.get_layer("t"), np.tanh), rtol=1e-5,
                               atol=1e-6)


def test_every_new_kind_of_input_is_checked_even_after_good_calls(backend):
    """model(x) checks an input once per type, dtype and shape; a new shape or float64 data is
    checked and converted again, never passed through on the strength of an earlier call."""
    inputs = Input(shape=(3,), name="three")
    model = on(backend, Model(inputs, Dense(2, name="t")(inputs)))
    data = RNG.standard_normal((4, 3)).astype("float32")
    first = backend.to_numpy(model(data))
    np.testing.assert_allclose(backend.to_numpy(model(data)), first)
    with pytest.raises(ValueError, match=r"'three'.*\(3,\).*\(5,\)"):
        model(RNG.standard_normal((4, 5)).astype("float32"))
    as_float64 = backend.to_numpy(model(data.astype("float64")))
    assert as_float64.dtype == np.float32
    np.testing.assert_allclose(as_float64, first, rtol=1e-6)


# --- checks made while the graph is built -----------------------------------------------------------------------
def test_layer_call_checks_shapes_at_once():
    a = Input(shape=(4,), name="feat4")
    layer = Dense(3, name="proj")
    layer(a)
    wrong = Input(shape=(5,), name="feat5")
    with pytest.raises(ValueError) as error:
        layer(wrong)
    message = str(error.value)
    assert "'proj'" in message and "(None, 5)" in message and "4" in message and "feat5" in message


def test_merge_layer_checks_shapes_at_once():
    with pytest.raises(ValueError) as error:
        concatenate([Input(shape=(2, 3)), Input(shape=(4, 5))], name="cat_bad")
    message = str(error.value)
    assert "'cat_bad'" in message and "(None, 2, 3)" in message and "(None, 4, 5)" in message
    with pytest.raises(ValueError) as error:
        Add(name="add_bad")([Input(shape=(3,)), Input(shape=(4,))])
    message = str(error.value)
    assert "'add_bad'" in message and "(None, 3)" in message and "(None, 4)" in message


def test_graph_disconnected_is_an_error_naming_the_missing_input():
    a = Input(shape=(4,), name="present")
    b = Input(shape=(3,), name="forgotten")
    out = Dense(2, name="head")(concatenate([Dense(3)(a), Dense(3)(b)]))
    with pytest.raises(ValueError, match="Graph disconnected") as error:
        Model(a, out)
    assert "'forgotten'" in str(error.value) and "present" in str(error.value)


def test_inputs_and_outputs_must_be_symbolic():
    a = Input(shape=(3,))
    out = Dense(2)(a)
    with pytest.raises(TypeError, match="symbolic"):
        Model(np.zeros((1, 3), "float32"), out)
    with pytest.raises(ValueError, match="Input"):
        Model(out, Dense(1)(out))


# --- structure ----------------------------------------------------------------------------------------------------
def test_layers_inputs_outputs_and_get_layer():
    a, b, out1, out2 = two_in_two_out()
    model = Model([a, b], [out1, out2], name="two_by_two")
    names = [layer.name for layer in model.layers]
    assert sorted(names) == sorted(["a", "b", "da", "db", "joined", "out1", "out2"])
    assert names[:2] == ["a", "b"] and names.index("joined") > max(names.index("da"), names.index("db"))
    assert names.index("joined") < min(names.index("out1"), names.index("out2"))
    assert isinstance(model.layers[0], InputLayer)
    assert model.inputs[0] is a and model.inputs[1] is b
    assert model.outputs[0] is out1 and model.outputs[1] is out2
    assert model.get_layer("out2") is out2.node.layer
    assert model.get_layer(index=0) is a.node.layer
    assert model.get_layer(index=-1) is model.layers[-1]
    with pytest.raises(ValueError, match="nope"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="out of range"):
        model.get_layer(index=len(model.layers))


def test_layer_output_and_input_are_its_first_call():
    a = Input(shape=(4,))
    layer = Dense(3, name="first_call")
    first = layer(a)
    layer(Dense(4)(a))
    assert layer.output is first and layer.input is a
    with pytest.raises(AttributeError, match="not been called"):
        Dense(2, name="never_called").output


def test_layers_follow_keras_order():
    a, b, out1, out2 = two_in_two_out()
    model = Model([a, b], [out1, out2])
    assert [layer.name for layer in model.layers] == ["a", "b", "da", "db", "joined", "out1", "out2"]
    assert [w.shape for w in model.get_weights()[:4]] == [(4, 5), (5,), (3, 5), (5,)]
    # A short branch listed before a long one: Keras puts the deeper layer first (depth 2 before depth 1).
    i = Input(shape=(4,), name="ko_in")
    short = Dense(2, name="ko_short")(i)
    long = Dense(3, name="ko_long_2")(Dense(5, name="ko_long_1")(i))
    model = Model(i, concatenate([short, long], name="ko_cat"))
    assert [layer.name for layer in model.layers] == ["ko_in", "ko_long_1", "ko_short", "ko_long_2", "ko_cat"]
    assert [w.shape for w in model.get_weights()[::2]] == [(4, 5), (4, 2), (5, 3)]


def test_several_inputs_and_outputs_as_lists(backend):
    a, b, out1, out2 = two_in_two_out()
    model = on(backend, Model(inputs=[a, b], outputs=[out1, out2]))
    xa, xb = RNG.standard_normal((6, 4)).astype("float32"), RNG.standard_normal((6, 3)).astype("float32")
    predicted = model.predict([xa, xb], verbose=0)
    assert isinstance(predicted, list) and [p.shape for p in predicted] == [(6, 1), (6, 3)]
    for got, expected in zip(predicted, reference_two_in_two_out(model, xa, xb)):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    by_name = model.predict({"b": xb, "a": xa}, verbose=0)
    for got, expected in zip(by_name, predicted):
        np.testing.assert_array_equal(got, expected)
    with pytest.raises(ValueError):
        model.predict([xa], verbose=0)
    with pytest.raises(ValueError, match="'b'"):
        model.predict([xa, xa], verbose=0)


def test_several_inputs_and_outputs_as_dicts(backend):
    a, b, out1, out2 = two_in_two_out()
    model = on(backend, Model(inputs={"a": a, "b": b}, outputs={"out1": out1, "out2": out2}))
    xa, xb = RNG.standard_normal((5, 4)).astype("float32"), RNG.standard_normal((5, 3)).astype("float32")
    predicted = model.predict({"a": xa, "b": xb}, verbose=0)
    assert isinstance(predicted, dict) and set(predicted) == {"out1", "out2"}
    expected1, expected2 = reference_two_in_two_out(model, xa, xb)
    np.testing.assert_allclose(predicted["out1"], expected1, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(predicted["out2"], expected2, rtol=1e-4, atol=1e-6)
    eager = model({"a": xa, "b": xb})
    assert isinstance(eager, dict)
    np.testing.assert_allclose(backend.to_numpy(eager["out2"]), expected2, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="'b'|b_missing|\\['a'\\]"):
        model.predict({"a": xa}, verbose=0)


def test_intermediate_tensor_can_also_be_an_output(backend):
    inputs = Input(shape=(3,), name="x")
    hidden = Dense(4, activation="relu", name="hidden")(inputs)
    out = Dense(2, name="out")(hidden)
    model = on(backend, Model(inputs, [hidden, out]))
    data = RNG.standard_normal((3, 3)).astype("float32")
    got_hidden, got_out = model.predict(data, verbose=0)
    np.testing.assert_allclose(got_hidden, dense(data, model.get_layer("hidden"), relu), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_out, dense(got_hidden, model.get_layer("out")), rtol=1e-5, atol=1e-6)


# --- shared layers --------------------------------------------------------------------------------------------
def shared_and_copies():
    """The same tanh Dense on two inputs, and the same graph with two copies holding equal weights."""
    x1, x2 = Input(shape=(4,), name="x1"), Input(shape=(4,), name="x2")
    shared = Dense(3, activation="tanh", name="shared")
    head = Dense(1, name="head")
    shared_model = Model([x1, x2], head(concatenate([shared(x1), shared(x2)])))
    y1, y2 = Input(shape=(4,)), Input(shape=(4,))
    copy1 = Dense(3, activation="tanh", name="copy1")
    copy2 = Dense(3, activation="tanh", name="copy2")
    head_copy = Dense(1, name="head_copy")
    copies_model = Model([y1, y2], head_copy(concatenate([copy1(y1), copy2(y2)])))
    copy1.set_weights(shared.get_weights())
    copy2.set_weights(shared.get_weights())
    head_copy.set_weights(head.get_weights())
    return shared_model, shared, head, copies_model, copy1, copy2, head_copy


def test_shared_layer_shares_weights():
    shared_model, shared, head, copies_model, *_ = shared_and_copies()
    assert len(shared._inbound_nodes) == 2
    assert [layer.name for layer in shared_model.layers].count("shared") == 1
    assert len(shared_model.weights) == 4 and len(copies_model.weights) == 6
    assert all(any(v is w for w in shared_model.weights) for v in shared.weights + head.weights)
    assert shared_model.count_params() == (4 * 3 + 3) + (6 + 1)
    xs = [RNG.standard_normal((5, 4)).astype("float32") for _ in range(2)]
    np.testing.assert_allclose(shared_model.predict(xs, verbose=0), copies_model.predict(xs, verbose=0), rtol=1e-5,
                               atol=1e-6)
    shared.set_weights([w + 0.5 for w in shared.get_weights()])
    assert not np.allclose(shared_model.predict(xs, verbose=0), copies_model.predict(xs, verbose=0), atol=1e-3)


def gradients(backend, model, xs):
    """Gradients of sum(output**2) w.r.t. the model's trainable weights, through one pure call."""
    variables = model.trainable_weights

    def loss_fn(values, inputs):
        with Assigned(variables, values), CallContext():
            out = model(inputs)
        return ops.sum(ops.square(out)), None

    value_and_grad = backend.jit(backend.value_and_grad(loss_fn))
    (_, _), grads = value_and_grad([v.value for v in variables], [backend.asarray(x) for x in xs])
    return {v.path: backend.to_numpy(g) for v, g in zip(variables, grads)}


def test_shared_layer_gradient_is_the_sum_of_the_copies_gradients(backend):
    shared_model, shared, head, copies_model, copy1, copy2, head_copy = shared_and_copies()
    xs = [RNG.standard_normal((6, 4)).astype("float32") for _ in range(2)]
    g_shared = gradients(backend, shared_model, xs)
    g_copies = gradients(backend, copies_model, xs)
    assert len(g_shared) == 4 and len(g_copies) == 6
    for part in ("kernel", "bias"):
        total = g_copies[f"copy1/{part}"] + g_copies[f"copy2/{part}"]
        assert np.abs(g_copies[f"copy1/{part}"] - g_copies[f"copy2/{part}"]).max() > 1e-4  # the copies differ
        np.testing.assert_allclose(g_shared[f"shared/{part}"], total, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(g_shared[f"head/{part}"], g_copies[f"head_copy/{part}"], rtol=1e-4, atol=1e-6)


# --- summary -------------------------------------------------------------------------------------------------
def test_summary_shows_connected_to_column():
    a, b, out1, out2 = two_in_two_out()
    model = Model([a, b], [out1, out2], name="summary_model")
    lines = lines_of_summary(model)
    text = "\n".join(lines)
    assert 'Model: "summary_model"' in text
    header = next(line for line in lines if "Layer (type)" in line)
    assert "Output Shape" in header and "Param #" in header and "Connected to" in header
    joined_row = next(i for i, line in enumerate(lines) if line.lstrip().startswith("joined (Concatenate)"))
    assert "(None, 10)" in lines[joined_row] and "da[0][0]" in lines[joined_row]
    assert lines[joined_row + 1].strip() == "db[0][0]"
    out2_row = next(line for line in lines if line.lstrip().startswith("out2 (Dense)"))
    assert "(None, 3)" in out2_row and " 33 " in out2_row and out2_row.rstrip().endswith("joined[0][0]")
    a_row = next(line for line in lines if line.lstrip().startswith("a (InputLayer)"))
    assert a_row.rstrip().endswith("0")
    total = (4 * 5 + 5) + (3 * 5 + 5) + 11 + 33
    assert f"Total params: {total:,} " in text and f"Trainable params: {total:,} " in text
    assert "Non-trainable params: 0 " in text


def test_summary_counts_shared_weights_once():
    shared_model, *_ = shared_and_copies()
    lines = lines_of_summary(shared_model)
    text = "\n".join(lines)
    assert f"Total params: {15 + 7} " in text
    shared_row = next(i for i, line in enumerate(lines) if line.lstrip().startswith("shared (Dense)"))
    assert " 15 " in lines[shared_row] and "x1[0][0]" in lines[shared_row]
    assert lines[shared_row + 1].strip() == "x2[0][0]"
    assert sum(line.lstrip().startswith("shared (Dense)") for line in lines) == 1


# --- feature extraction ------------------------------------------------------------------------------------------
def test_feature_extraction_from_intermediate_tensors(backend):
    inputs = Input(shape=(5,), name="pixels")
    hidden = Dense(4, activation="relu", name="hidden")(inputs)
    out = Dense(2, activation="softmax", name="probs")(hidden)
    base = Model(inputs, out, name="base")
    features = on(backend, Model(base.inputs, base.get_layer("hidden").output, name="features"))
    both = on(backend, Model(inputs=base.inputs, outputs=[base.get_layer("hidden").output, base.outputs[0]]))

    assert [layer.name for layer in features.layers] == ["pixels", "hidden"]
    assert all(any(v is w for w in base.weights) for v in features.weights) and len(features.weights) == 2
    data = RNG.standard_normal((6, 5)).astype("float32")
    np.testing.assert_allclose(features.predict(data, verbose=0), dense(data, base.get_layer("hidden"), relu),
                               rtol=1e-5, atol=1e-6)
    hidden_values, probs = both.predict(data, verbose=0)
    np.testing.assert_allclose(probs, base.predict(data, verbose=0), rtol=1e-5, atol=1e-6)

    base.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", backend=backend.name)
    before = features.predict(data, verbose=0)
    base.fit(data, np.array([0, 1, 0, 1, 1, 0]), epochs=2, verbose=0)
    after = features.predict(data, verbose=0)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, dense(data, base.get_layer("hidden"), relu), rtol=1e-5, atol=1e-6)


def test_model_input_and_output_properties():
    inputs = Input(shape=(5,), name="image")
    hidden = Dense(4, name="hidden_layer")(inputs)
    out = Dense(2, name="top")(hidden)
    base = Model(inputs, out)
    assert base.input is inputs and base.output is out
    features = Model(base.input, base.get_layer("hidden_layer").output)
    assert features.output is hidden
    a, b, out1, out2 = two_in_two_out()
    several = Model({"a": a, "b": b}, [out1, out2])
    assert several.input == {"a": a, "b": b} and several.output == [out1, out2]
