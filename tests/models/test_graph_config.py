"""get_config()/from_config() of functional graphs: plain chains, several inputs and outputs (lists and
dicts), shared layers, merge layers and nested models. A rebuilt model given the original's weights with
set_weights predicts the same."""
import json

import numpy as np
import pytest

import nnkit
from nnkit import ops
from nnkit.layers import Dense, Dropout, Input, Layer, add, concatenate, multiply, subtract
from nnkit.models import Functional, Model, Sequential

RNG = np.random.default_rng(41)
XA = RNG.standard_normal((9, 4)).astype("float32")
XB = RNG.standard_normal((9, 3)).astype("float32")


@pytest.fixture(autouse=True)
def seeded():
    """Every test starts from the same host seed, so its initial weights do not depend on test order."""
    nnkit.set_random_seed(20240)


def mlp():
    inputs = Input(shape=(4,), name="pixels")
    x = Dense(8, activation="relu", name="h1")(inputs)
    x = Dropout(0.3, name="drop")(x)
    outputs = Dense(3, activation="softmax", name="probs")(x)
    return Model(inputs=inputs, outputs=outputs, name="mlp"), XA


def multi_list():
    a, b = Input(shape=(4,), name="a"), Input(shape=(3,), name="b")
    joined = concatenate([Dense(5, activation="tanh", name="da")(a), Dense(5, name="db")(b)], name="joined")
    return Model([a, b], [Dense(1, name="out1")(joined), Dense(2, activation="softmax", name="out2")(joined)],
                 name="multi_list"), [XA, XB]


def multi_dict():
    a, b = Input(shape=(4,), name="a"), Input(shape=(3,), name="b")
    joined = concatenate([Dense(5, activation="tanh", name="da")(a), Dense(5, name="db")(b)], name="joined")
    outputs = {"out2": Dense(2, activation="softmax", name="out2")(joined), "out1": Dense(1, name="out1")(joined)}
    return Model({"a": a, "b": b}, outputs, name="multi_dict"), {"a": XA, "b": XB}


def shared():
    left, right = Input(shape=(4,), name="left"), Input(shape=(4,), name="right")
    encoder = Dense(3, activation="tanh", name="encoder")
    e1, e2 = encoder(left), encoder(right)
    merged = concatenate([subtract([e1, e2], name="diff"), multiply([e1, e2], name="prod")], name="both")
    return Model([left, right], Dense(1, activation="sigmoid", name="same")(merged), name="shared"), [XA, XA[::-1]]


def inception():
    x = Input(shape=(4,), name="features")
    wide = Dense(6, activation="relu", name="wide")(x)
    deep = Dense(2, activation="relu", name="deep_2")(Dense(5, activation="relu", name="deep_1")(x))
    mixed = concatenate([wide, deep], name="mixed")
    out = add([mixed, Dense(8, name="shortcut")(x)], name="residual")
    return Model(x, Dense(2, name="logits")(out), name="inception"), XA


def nested():
    stem = Sequential([Dense(5, activation="relu", input_shape=(4,), name="stem_dense")], name="stem")
    code = Input(shape=(5,), name="code")
    head = Model(code, [Dense(2, name="head_a")(code), Dense(1, name="head_b")(code)], name="head")
    x = Input(shape=(4,), name="x")
    h = stem(x)
    first, second = head(h)
    again, _ = head(Dense(5, name="adapter")(x))
    return Model(x, [add([first, again], name="sum"), second], name="nested"), XA


BUILDERS = [mlp, multi_list, multi_dict, shared, inception, nested]


def as_list(outputs):
    if isinstance(outputs, dict):
        return [outputs[key] for key in sorted(outputs)]
    return outputs if isinstance(outputs, list) else [outputs]


def rebuild(model):
    config = json.loads(json.dumps(model.get_config()))  # JSON-ready
    return Model.from_config(config)


@pytest.mark.parametrize("build", BUILDERS, ids=lambda f: f.__name__)
def test_round_trip_predicts_the_same(build):
    nnkit.set_random_seed(7)
    model, x = build()
    clone = rebuild(model)
    assert type(clone) is type(model) and clone.name == model.name
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in model.layers]
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    assert not any(v is w for v in clone.weights for w in model.weights)  # a new model, its own variables
    assert [t.shape for t in clone.inputs] == [t.shape for t in model.inputs]
    assert [t.shape for t in clone.outputs] == [t.shape for t in model.outputs]

    clone.set_weights(model.get_weights())
    expected, got = model.predict(x, verbose=0), clone.predict(x, verbose=0)
    assert type(got) is type(expected)
    if isinstance(expected, dict):
        assert set(got) == set(expected)
    for p, q in zip(as_list(got), as_list(expected)):
        np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-7)
    assert json.dumps(clone.get_config(), sort_keys=True) == json.dumps(model.get_config(), sort_keys=True)


def test_config_lists_a_shared_layer_once_with_each_call():
    model, _ = shared()
    config = model.get_config()
    names = [entry["name"] for entry in config["layers"]]
    assert names.count("encoder") == 1 and {"left", "right", "diff", "prod", "both", "same"} <= set(names)
    encoder = next(entry for entry in config["layers"] if entry["name"] == "encoder")
    assert encoder["class_name"] == "Dense" and encoder["config"]["units"] == 3
    assert len(encoder["inbound_nodes"]) == 2
    for layer_config in config["layers"]:
        assert {"class_name", "config", "name", "inbound_nodes"} <= set(layer_config)
    clone = rebuild(model)
    assert len(clone.get_layer("encoder")._inbound_nodes) == 2
    assert len(clone.weights) == len(model.weights) == 4


def test_nested_models_are_rebuilt_as_models():
    nnkit.set_random_seed(8)
    model, _ = nested()
    clone = rebuild(model)
    assert isinstance(clone.get_layer("stem"), Sequential) and isinstance(clone.get_layer("head"), Functional)
    assert clone.get_layer("head") is not model.get_layer("head")
    assert len(clone.get_layer("head")._inbound_nodes) == 2  # called twice in the outer graph
    assert len(clone.weights) == len(model.weights) == 2 + 4 + 2


def test_rebuilt_model_trains(backend):
    nnkit.set_random_seed(9)
    model, x = multi_dict()
    clone = rebuild(model)
    clone.set_weights(model.get_weights())
    clone.compile(optimizer="sgd", loss={"out1": "mse", "out2": "sparse_categorical_crossentropy"},
                  backend=backend.name)
    y = {"out1": XA[:, :1], "out2": (XA[:, 0] > 0).astype("int64")}
    history = clone.fit(x, y, epochs=3, batch_size=9, shuffle=False, verbose=0).history
    assert {"loss", "out1_loss", "out2_loss"} == set(history)
    assert history["loss"][-1] < history["loss"][0]
    assert not np.allclose(clone.get_weights()[0], model.get_weights()[0])  # the original is untouched


def test_feature_extractor_config_round_trip():
    nnkit.set_random_seed(10)
    base, x = mlp()
    features = Model(base.inputs, base.get_layer("h1").output, name="features")
    config = features.get_config()
    assert [entry["name"] for entry in config["layers"]] == ["pixels", "h1"]
    clone = Functional.from_config(config)
    clone.set_weights(features.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), features.predict(x, verbose=0), rtol=1e-6)


class Scale(Layer):
    """A custom layer: multiplies by a constant."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return ops.multiply(inputs, self.factor)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_custom_layers_need_custom_objects():
    x = Input(shape=(4,), name="cx")
    model = Model(x, Dense(2, name="cd")(Scale(3.0, name="scale")(x)), name="custom")
    config = json.loads(json.dumps(model.get_config()))
    with pytest.raises(ValueError, match="custom_objects"):
        Model.from_config(config)
    clone = Model.from_config(config, custom_objects={"Scale": Scale})
    assert clone.get_layer("scale").factor == 3.0
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(XA, verbose=0), model.predict(XA, verbose=0), rtol=1e-6)


def test_functional_from_config_is_the_same_entry_point():
    nnkit.set_random_seed(11)
    model, x = multi_list()
    clone = Functional.from_config(model.get_config())
    assert isinstance(clone, Functional)
    clone.set_weights(model.get_weights())
    for p, q in zip(clone.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_allclose(p, q, rtol=1e-6)
