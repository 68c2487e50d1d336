"""Attention (dot and concat scores) and AdditiveAttention: outputs and scores against float64 NumPy
references with query/value masks and the causal mask, gradients wrt query, value, key and the scale
weights against finite differences on every backend, Keras 3's weights and numbers, symbolic calls with
mask propagation, config round trips and the errors a user meets."""
import json

import numpy as np
import pytest

from gradcheck import backend_params, check_forward, check_float32
from layer_checks import check_layer_gradients, keras_or_skip
from nnkit import layers, models
from nnkit.layers import AdditiveAttention, Attention

RNG = np.random.default_rng(11)
Q = RNG.standard_normal((2, 3, 4))
V = RNG.standard_normal((2, 5, 4))
K = RNG.standard_normal((2, 5, 4))
QUERY_MASK = np.array([[1, 1, 0], [1, 1, 1]], bool)
VALUE_MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]], bool)
SCALE = 0.7
CONCAT_WEIGHT = 1.3
ADDITIVE_SCALE = RNG.standard_normal(4)


def _scores(kind, query, key):
    if kind == "dot":
        return SCALE * query @ key.transpose(0, 2, 1)
    sums = query[:, :, None] + key[:, None]
    pairs = np.tanh(sums if kind == "additive" else SCALE * sums)
    return (pairs * ADDITIVE_SCALE).sum(-1) if kind == "additive" else CONCAT_WEIGHT * pairs.sum(-1)


def reference(kind, query, value, key, query_mask=None, value_mask=None, causal=False):
    """(output, attention weights) in float64 NumPy."""
    scores = _scores(kind, query, key)
    allowed = np.ones(scores.shape, bool)
    if value_mask is not None:
        allowed &= value_mask[:, None, :]
    if causal:
        allowed &= np.tril(np.ones(scores.shape[1:], bool))
    scores = np.where(allowed, scores, scores - 1e9)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    output = weights @ value
    if query_mask is not None:
        output = np.where(query_mask[..., None], output, 0.0)
    return output, weights


def float64_layer(kind):
    layer = (AdditiveAttention(dtype="float64") if kind == "additive"
             else Attention(use_scale=True, score_mode=kind, dtype="float64"))
    layer.build([Q.shape, V.shape, K.shape])
    layer.set_weights({"dot": [SCALE], "concat": [SCALE, CONCAT_WEIGHT], "additive": [ADDITIVE_SCALE]}[kind])
    return layer


KINDS = ["dot", "concat", "additive"]


@pytest.mark.parametrize("backend", ["numpy"], indirect=True)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("masked", [False, True], ids=["unmasked", "masked_causal"])
def test_output_and_scores_match_numpy_reference(backend, float64, kind, masked):
    layer = float64_layer(kind)
    mask = [QUERY_MASK, VALUE_MASK] if masked else None
    keywords = {"query_mask": QUERY_MASK, "value_mask": VALUE_MASK, "causal": True} if masked else {}
    out, weights = check_forward(
        lambda q, v, k: layer([q, v, k], mask=mask, return_attention_scores=True, use_causal_mask=masked),
        lambda q, v, k: reference(kind, q, v, k, **keywords), Q, V, K)
    assert out.shape == (2, 3, 4) and weights.shape == (2, 3, 5)


@pytest.mark.parametrize("backend", ["numpy"], indirect=True)
def test_value_is_the_key_when_no_key_is_given(backend, float64):
    layer = float64_layer("dot")
    check_forward(lambda q, v: layer([q, v]), lambda q, v: reference("dot", q, v, v)[0], Q, V)


# The three kinds share their ops (matmul, tanh, softmax, where): every kind runs on NumPy, one on JAX.
@pytest.mark.parametrize("backend, kind", backend_params({k: k for k in KINDS}, lambda name, _: name == "additive"),
                         indirect=["backend"])
def test_gradients_wrt_query_value_key_and_weights(backend, float64, kind):
    layer = float64_layer(kind)
    check_layer_gradients(layer, Q, V, K, call=lambda q, v, k: layer([q, v, k], mask=[QUERY_MASK, VALUE_MASK]),
                          rtol=1e-5, atol=1e-7, jit=backend.name == "jax")


def test_float32_in_float32_out(backend):
    layer = AdditiveAttention()
    layer.build([Q.shape, V.shape])
    check_float32(lambda q, v: layer([q, v]), Q, V)


def test_weights_match_keras_layout_and_numbers():
    keras = keras_or_skip()
    q, v = Q.astype("float32"), V.astype("float32")
    mine, theirs = AdditiveAttention(), keras.layers.AdditiveAttention()
    want = theirs([q, v], mask=[None, VALUE_MASK], use_causal_mask=True)
    mine.build([q.shape, v.shape])
    mine.set_weights(theirs.get_weights())
    got = mine([q, v], mask=[None, VALUE_MASK], use_causal_mask=True)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)
    for make in (lambda L: L.Attention(use_scale=True, score_mode="concat"), lambda L: L.AdditiveAttention()):
        mine, theirs = make(layers), make(keras.layers)
        mine.build([q.shape, v.shape])
        theirs.build([q.shape, v.shape])
        assert [(w.path.split("/")[-1], w.shape) for w in mine.weights] == [
            (w.path.split("/")[-1], tuple(w.shape)) for w in theirs.weights]
        assert set(mine.get_config()) == set(theirs.get_config())


def test_symbolic_call_passes_the_query_mask_on_and_round_trips():
    tokens = layers.Input((3,), dtype="int32")
    memory = layers.Input((5, 4))
    query = layers.Embedding(6, 4, mask_zero=True)(tokens)
    attended, scores = Attention(name="att")([query, memory], return_attention_scores=True)
    assert attended.shape == (None, 3, 4) and scores.shape == (None, 3, 5)
    model = models.Model([tokens, memory], layers.Dense(1, name="head")(attended))
    model.compile("sgd", "mse")
    x = [np.array([[1, 2, 0], [3, 0, 0]]), V.astype("float32")]
    y = np.ones((2, 3, 1), "float32")
    padded_loss = model.evaluate(x, y, verbose=0)
    prediction = model.predict(x, verbose=0)[..., 0]
    np.testing.assert_allclose(padded_loss, ((prediction - 1) ** 2)[x[0] != 0].mean(), rtol=1e-6)
    clone = models.Model.from_config(json.loads(json.dumps(model.get_config())))
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    restored = layers.deserialize(layers.serialize(AdditiveAttention(use_scale=False, dropout=0.2)))
    assert isinstance(restored, AdditiveAttention) and not restored.use_scale and restored.dropout == 0.2


def test_errors_name_the_layer():
    q, v = Q.astype("float32"), V.astype("float32")
    with pytest.raises(ValueError, match="'att'.*list \\[query, value\\]"):
        Attention(name="att")(q)
    with pytest.raises(ValueError, match="'att'.*last axes of query and key must be equal"):
        Attention(name="att")([q, RNG.standard_normal((2, 5, 3)).astype("float32")])
    with pytest.raises(ValueError, match=r"'att'.*value_mask must have shape \(2, 5\).*\(2, 4\)"):
        Attention(name="att")([q, v], mask=[None, np.ones((2, 4), bool)])
    with pytest.raises(ValueError, match="score_mode must be one of"):
        Attention(score_mode="general")
