"""MultiHeadAttention: outputs and attention scores against a float64 NumPy reference (with query, value, key,
attention and causal masks), gradients wrt query, key, value and all eight weights against finite
differences on every backend, Keras 3's weight layout and numbers, symbolic calls, config round trips and
the errors a user meets."""
import json

import numpy as np
import pytest

from gradcheck import check_forward, check_float32
from layer_checks import check_layer_gradients, graph_matches_keras, keras_or_skip
from nnkit import layers
from nnkit.layers import MultiHeadAttention

RNG = np.random.default_rng(7)
HEADS, KEY_DIM, VALUE_DIM = 2, 3, 2
Q = RNG.standard_normal((2, 4, 5))
V = RNG.standard_normal((2, 3, 6))
K = RNG.standard_normal((2, 3, 4))
WEIGHTS = [RNG.standard_normal(s) * 0.5 for s in [(5, HEADS, KEY_DIM), (HEADS, KEY_DIM), (4, HEADS, KEY_DIM),
                                                    (HEADS, KEY_DIM), (6, HEADS, VALUE_DIM), (HEADS, VALUE_DIM),
                                                    (HEADS, VALUE_DIM, 5), (5,)]]
QUERY_MASK = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
VALUE_MASK = np.array([[1, 1, 0], [1, 0, 0]], bool)
ATTENTION_MASK = RNG.random((2, 4, 3)) > 0.3


def reference(query, value, key, query_mask=None, value_mask=None, attention_mask=None, causal=False):
    """Multi-head attention in float64 NumPy; returns (output, scores (B, heads, T, S))."""
    wq, bq, wk, bk, wv, bv, wo, bo = WEIGHTS
    q = np.einsum("btd,dnh->btnh", query, wq) + bq
    k = np.einsum("bsd,dnh->bsnh", key, wk) + bk
    v = np.einsum("bsd,dnh->bsnh", value, wv) + bv
    logits = np.einsum("btnh,bsnh->bnts", q, k) / np.sqrt(KEY_DIM)
    allowed = np.ones((query.shape[0], query.shape[1], key.shape[1]), bool)
    if query_mask is not None:
        allowed &= query_mask[:, :, None]
    if value_mask is not None:
        allowed &= value_mask[:, None, :]
    if attention_mask is not None:
        allowed &= attention_mask
    if causal:
        allowed &= np.tril(np.ones(allowed.shape[1:], bool))
    logits = np.where(allowed[:, None], logits, -1e9)
    scores = np.exp(logits - logits.max(-1, keepdims=True))
    scores = np.where(allowed[:, None], scores / scores.sum(-1, keepdims=True), 0.0)
    heads = np.einsum("bnts,bsnh->btnh", scores, v)
    return np.einsum("btnh,nhd->btd", heads, wo) + bo, scores


def float64_layer(**kwargs):
    layer = MultiHeadAttention(HEADS, KEY_DIM, value_dim=VALUE_DIM, dtype="float64", **kwargs)
    layer.build(Q.shape, V.shape, K.shape)
    layer.set_weights(WEIGHTS)
    return layer


CASES = {
    "plain": {},
    "query_mask": {"query_mask": QUERY_MASK},
    "value_mask": {"value_mask": VALUE_MASK},
    "key_mask": {"key_mask": VALUE_MASK},
    "attention_mask": {"attention_mask": ATTENTION_MASK},
    "causal": {"use_causal_mask": True},
    "all": {"query_mask": QUERY_MASK, "value_mask": VALUE_MASK, "attention_mask": ATTENTION_MASK,
            "use_causal_mask": True},
}


def _reference_keywords(case):
    return {"query_mask": case.get("query_mask"), "value_mask": case.get("value_mask") if "value_mask" in case
            else case.get("key_mask"), "attention_mask": case.get("attention_mask"),
            "causal": case.get("use_causal_mask", False)}


@pytest.mark.parametrize("backend", ["numpy"], indirect=True)
@pytest.mark.parametrize("case", list(CASES))
def test_output_and_scores_match_numpy_reference(backend, float64, case):
    layer = float64_layer()
    keywords = CASES[case]
    out, scores = check_forward(
        lambda q, v, k: layer(q, v, key=k, return_attention_scores=True, **keywords),
        lambda q, v, k: reference(q, v, k, **_reference_keywords(keywords)), Q, V, K)
    assert out.shape == Q.shape and scores.shape == (2, HEADS, 4, 3)


def test_output_matches_numpy_reference_on_every_backend(backend, float64):
    layer = float64_layer()
    keywords = CASES["all"]
    check_forward(lambda q, v, k: layer(q, v, k, **keywords),
                  lambda q, v, k: reference(q, v, k, **_reference_keywords(keywords))[0], Q, V, K)


def test_gradients_wrt_query_key_value_and_weights(backend, float64):
    layer = float64_layer()
    assert len(layer.trainable_weights) == 8
    check_layer_gradients(layer, Q, V, K, call=lambda q, v, k: layer(q, v, key=k, value_mask=VALUE_MASK,
                                                                      use_causal_mask=True),
                          rtol=1e-5, atol=1e-7, jit=backend.name == "jax")


def test_float32_in_float32_out(backend):
    layer = MultiHeadAttention(HEADS, KEY_DIM)
    layer.build(Q.shape, V.shape)
    check_float32(lambda q, v: layer(q, v), Q, V)


def test_weights_have_keras_names_shapes_and_order():
    layer = float64_layer()
    parts = ("query", "key", "value", "attention_output")
    assert [w.path for w in layer.weights] == [f"{part}/{kind}" for part in parts for kind in ("kernel", "bias")]
    assert [w.shape for w in layer.weights] == [w.shape for w in WEIGHTS]
    assert layer.query_dense is layer._query_dense and layer.output_dense.name == "attention_output"
    without_bias = MultiHeadAttention(2, 3, use_bias=False, output_shape=7)
    without_bias.build((None, 4, 5), (None, 3, 6))
    assert [w.shape for w in without_bias.weights] == [(5, 2, 3), (6, 2, 3), (6, 2, 3), (2, 3, 7)]


def test_matches_keras_with_copied_weights_and_masks():
    keras = keras_or_skip()
    mine = MultiHeadAttention(HEADS, KEY_DIM, value_dim=VALUE_DIM)
    theirs = keras.layers.MultiHeadAttention(HEADS, KEY_DIM, value_dim=VALUE_DIM)
    q, v, k = (a.astype("float32") for a in (Q, V, K))
    theirs(q, v, key=k, return_attention_scores=True)  # Keras' fused path needs value_dim == key_dim
    mine(q, v, key=k)
    mine.set_weights(theirs.get_weights())
    keywords = {"value_mask": VALUE_MASK, "attention_mask": ATTENTION_MASK, "use_causal_mask": True}
    want, want_scores = theirs(q, v, key=k, return_attention_scores=True, **keywords)
    got, got_scores = mine(q, v, key=k, return_attention_scores=True, **keywords)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(got_scores), np.asarray(want_scores), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("backend", ["numpy"], indirect=True)
def test_attention_over_two_axes_equals_attention_over_the_flattened_axes(backend, float64):
    """attention_axes=(1, 2) on (B, T1, T2, dim) is attention over the T1*T2 positions of one sequence."""
    grid = RNG.standard_normal((2, 2, 3, 5))
    over_both = MultiHeadAttention(HEADS, KEY_DIM, value_dim=VALUE_DIM, attention_axes=(1, 2), dtype="float64")
    over_both.build(grid.shape, grid.shape)
    flat = MultiHeadAttention(HEADS, KEY_DIM, value_dim=VALUE_DIM, dtype="float64")
    flat.build((2, 6, 5), (2, 6, 5))
    flat.set_weights(over_both.get_weights())
    out, scores = over_both(grid, grid, return_attention_scores=True)
    assert scores.shape == (2, HEADS, 2, 3, 2, 3) and over_both.get_config()["attention_axes"] == [1, 2]
    want, want_scores = flat(grid.reshape(2, 6, 5), grid.reshape(2, 6, 5), return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(out).reshape(2, 6, 5), np.asarray(want), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(scores).reshape(2, HEADS, 6, 6), np.asarray(want_scores), rtol=1e-10)
    per_row = MultiHeadAttention(2, 3, attention_axes=2)
    assert per_row(grid.astype("float32"), grid.astype("float32"), return_attention_scores=True)[1].shape == (
        2, 2, 2, 3, 3)


def _self_attention_graph(layers_module, model_class):
    tokens = layers_module.Input((5,), dtype="int32")
    embedded = layers_module.Embedding(7, 4, mask_zero=True)(tokens)
    attended = layers_module.MultiHeadAttention(2, 3)(embedded, embedded)
    return model_class(tokens, layers_module.Dense(2)(layers_module.Add()([embedded, attended])))


def test_graph_with_embedding_masks_matches_keras_and_round_trips(capsys):
    """Keras' fused kernel gives fully masked (padding) query rows a mean over all keys, its scores path
    zeros; nnkit follows the scores path, so only the real tokens are compared."""
    tokens = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 2, 0]])
    model, reference = graph_matches_keras(_self_attention_graph, tokens, where=tokens != 0)
    assert model.count_params() == reference.count_params()
    projections = 3 * (4 * 2 * 3 + 2 * 3) + (2 * 3 * 4 + 4)
    assert model.layers[2].count_params() == reference.layers[2].count_params() == projections
    model.summary()
    assert "118" in capsys.readouterr().out
    layer = model.layers[2]
    config = layer.get_config()
    assert set(reference.layers[2].get_config()) <= set(config)
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert isinstance(clone, MultiHeadAttention) and clone.get_config() == config


@pytest.mark.parametrize("backend", ["numpy"], indirect=True)
def test_symbolic_call_shapes_and_compute_output_shape(backend):
    query, value = layers.Input((4, 5)), layers.Input((3, 6))
    layer = MultiHeadAttention(2, 3, output_shape=7)
    out, scores = layer(query, value, return_attention_scores=True)
    assert out.shape == (None, 4, 7) and scores.shape == (None, 2, 4, 3)
    assert layer.compute_output_shape((None, 4, 5), (None, 3, 6)) == (None, 4, 7)
    real = layer(backend.asarray(Q.astype("float32")), backend.asarray(V.astype("float32")))
    assert tuple(real.shape) == (2, 4, 7)


@pytest.mark.parametrize("backend", ["numpy"], indirect=True)
def test_dropout_acts_only_in_training(backend):
    layer = MultiHeadAttention(2, 3, dropout=0.5, seed=1)
    q = backend.asarray(Q.astype("float32"))
    assert layer.uses_randomness
    np.testing.assert_array_equal(np.asarray(layer(q, q)), np.asarray(layer(q, q, training=False)))
    assert not np.allclose(np.asarray(layer(q, q, training=True)), np.asarray(layer(q, q)))


def test_errors_name_the_layer():
    layer = MultiHeadAttention(2, 3, name="mha")
    with pytest.raises(ValueError, match="'mha'.*value and key"):
        layer(Q.astype("float32"), V.astype("float32"), key=RNG.standard_normal((2, 4, 4)).astype("float32"))
    layer = MultiHeadAttention(2, 3, name="mha")
    with pytest.raises(ValueError, match=r"'mha'.*value_mask must have shape \(2, 3\).*\(2, 4\)"):
        layer(Q.astype("float32"), V.astype("float32"), value_mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="num_heads must be a positive integer"):
        MultiHeadAttention(0, 3)
    with pytest.raises(TypeError, match="cannot be called with"):
        layers.Dense(2)(layers.Input((3,)), layers.Input((3,)))
