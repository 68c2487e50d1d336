"""Layers called on several tensors in a functional graph, as Keras allows (`mha(query, value)`,
`layer(a, b, gate=g)`): every tensor argument is a recorded input of the node, the model trains on every
backend, the summary lists each connection, and get_config writes Keras 3's `inbound_nodes` form
({"args", "kwargs"} with `__keras_tensor__` references) that from_config (and Keras itself) reads back."""
import json

import numpy as np
import pytest

import nnkit
from layer_checks import keras_or_skip
from nnkit import layers, ops
from nnkit.layers import Dense, Input
from nnkit.models import Model

RNG = np.random.default_rng(5)
A = RNG.standard_normal((16, 3)).astype("float32")
B = RNG.standard_normal((16, 3)).astype("float32")
G = RNG.random((16, 3)).astype("float32")
Y = (A * G + B * (1 - G)).sum(-1, keepdims=True)


class Blend(layers.Layer):
    """gate * a + (1 - gate) * b, scaled by a learned weight per feature: a layer of three tensors."""

    def build(self, a_shape, b_shape, gate_shape=None):
        self.scale = self.add_weight((a_shape[-1],), "ones", name="scale")

    def call(self, a, b, gate=None):
        gate = 0.5 if gate is None else gate
        return ops.multiply(self.scale, ops.add(ops.multiply(gate, a), ops.multiply(ops.subtract(1.0, gate), b)))


def blend_model():
    nnkit.set_random_seed(3)
    a, b, gate = Input((3,), name="a"), Input((3,), name="b"), Input((3,), name="gate")
    blended = Blend(name="blend")(a, b, gate=gate)
    return Model([a, b, gate], Dense(1, name="head")(blended), name="blended")


def test_every_tensor_argument_is_a_node_input():
    model = blend_model()
    node = model.get_layer("blend")._inbound_nodes[0]
    assert [t.node.layer.name for t in node.flat_inputs] == ["a", "b", "gate"]
    assert model.get_layer("blend").weights[0].shape == (3,)
    assert [layer.name for layer in model.layers] == ["a", "b", "gate", "blend", "head"]


def test_model_of_a_multi_tensor_layer_trains():
    """(On JAX, tests/layers/attention/test_transformer_encoder.py trains `mha(x, x)` graphs under jit.)"""
    model = blend_model()
    model.compile(nnkit.optimizers.Adam(0.05), "mse", backend="numpy")
    history = model.fit([A, B, G], Y, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]
    gate_matters = model.predict([A, B, np.ones_like(G)], verbose=0)
    assert not np.allclose(gate_matters, model.predict([A, B, G], verbose=0))


def test_summary_lists_each_connection(capsys):
    blend_model().summary()
    line = next(row for row in capsys.readouterr().out.splitlines() if "blend (Blend)" in row)
    assert "a[0][0]" in line


def test_config_is_keras_form_and_round_trips():
    model = blend_model()
    config = json.loads(json.dumps(model.get_config()))
    node = next(entry for entry in config["layers"] if entry["name"] == "blend")["inbound_nodes"][0]
    assert [arg["config"]["keras_history"] for arg in node["args"]] == [["a", 0, 0], ["b", 0, 0]]
    assert node["kwargs"]["gate"]["class_name"] == "__keras_tensor__"
    assert node["kwargs"]["gate"]["config"] == {"shape": [None, 3], "dtype": "float32", "keras_history": ["gate", 0, 0]}
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0], ["gate", 0, 0]]
    assert config["output_layers"] == ["head", 0, 0]
    clone = Model.from_config(config, custom_objects={"Blend": Blend})
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict([A, B, G], verbose=0), model.predict([A, B, G], verbose=0), rtol=1e-6)


def test_tf_keras_inbound_node_lists_are_read():
    config = blend_model().get_config()
    for entry in config["layers"]:
        if entry["name"] == "head":
            entry["inbound_nodes"] = [[["blend", 0, 0, {}]]]
    clone = Model.from_config(config, custom_objects={"Blend": Blend})
    assert clone.get_layer("head")._inbound_nodes[0].flat_inputs[0].node.layer.name == "blend"


def test_keras_reads_the_config_of_an_attention_graph():
    keras = keras_or_skip()
    query, value = Input((4, 3), name="query"), Input((5, 3), name="value")
    attended = layers.MultiHeadAttention(2, 4, name="mha")(query, value, use_causal_mask=False)
    model = Model([query, value], Dense(2, name="out")(layers.Concatenate(name="cat")([attended, query])))
    reference = keras.Model.from_config(json.loads(json.dumps(model.get_config())))
    assert reference.count_params() == model.count_params()
    assert [type(layer).__name__ for layer in reference.layers] == [type(layer).__name__ for layer in model.layers]
    assert [w.shape for w in reference.get_layer("mha").weights] == [w.shape for w in model.get_layer("mha").weights]


def test_a_layer_of_one_tensor_given_two_is_a_clear_error():
    with pytest.raises(TypeError, match="Layer 'proj' \\(Dense\\) cannot be called with 2 positional argument"):
        Dense(2, name="proj")(Input((3,)), Input((3,)))
