"""SimpleRNN, LSTM and GRU (both reset_after forms), stacked cells and Bidirectional against float64 NumPy
per-step loops, on every backend: sequences, last outputs and states, reversed sequences, masks, initial
states; gradients through time (inputs, kernel, recurrent kernel, bias) against central finite differences;
float32 in, float32 out; the fused NumPy LSTM against the generic steps."""
import numpy as np
import pytest

from layers.rnn import rnn_reference as reference
from gradcheck import backend_params, check_forward, check_tape_matches_jax
from layer_checks import check_layer_gradients
from nnkit import layers, ops
from nnkit.backends import active, get_backend
from nnkit.ops.variable import Assigned

RNG = np.random.default_rng(7)
X = RNG.standard_normal((2, 3, 2))
MASK = np.array([[True, True, False], [False, True, True]])
H0 = RNG.standard_normal((2, 2)) * 0.5


def _weights(layer):
    return [RNG.standard_normal(w.shape) * 0.6 for w in layer.weights]


def _built(make, weights=None):
    layer = make()
    layer.dtype = layer.cell.dtype = "float64"
    layer.build((None, 3, 2))
    layer.set_weights(weights if weights is not None else _weights(layer))
    return layer


KINDS = {
    "simple_rnn": (lambda **kw: layers.SimpleRNN(2, **kw), reference.simple_rnn_step, 1),
    "lstm": (lambda **kw: layers.LSTM(2, **kw), reference.lstm_step, 2),
    "gru": (lambda **kw: layers.GRU(2, **kw), reference.gru_step, 1),
    "gru_reset_before": (lambda **kw: layers.GRU(2, reset_after=False, **kw),
                         lambda x, s, k, r, b: reference.gru_step(x, s, k, r, b, reset_after=False), 1),
}
VARIANTS = {
    "last": {},
    "sequences": {"return_sequences": True},
    "backwards-states": {"go_backwards": True, "return_state": True},
    "masked-sequences": {"return_sequences": True, "mask": True},
    "masked-last-backwards": {"go_backwards": True, "mask": True},
    "initial-state": {"initial_state": True},
    "unrolled": {"unroll": True, "return_sequences": True},
}
CASES = {f"{kind}-{variant}": (kind, variant) for kind in KINDS for variant in VARIANTS}


def _on_jax(name, case):
    kind, variant = case
    return kind == "lstm" or variant in ("masked-sequences",)


def _case(kind, variant):
    make, step, state_count = KINDS[kind]
    options = dict(VARIANTS[variant])
    mask = MASK if options.pop("mask", False) else None
    initial = [H0] * state_count if options.pop("initial_state", False) else None
    layer = _built(lambda: make(**options))
    weights = layer.get_weights()

    def ref(x):
        states = initial if initial is not None else [np.zeros((2, 2))] * state_count
        out, states = reference.run(lambda xt, s: step(xt, s, *weights), x, states, mask,
                                    options.get("go_backwards", False), options.get("return_sequences", False))
        return [out, *states] if options.get("return_state") else out

    def call(x):
        keywords = {}
        if mask is not None:
            keywords["mask"] = active.backend.asarray(mask)
        if initial is not None:
            keywords["initial_state"] = [active.backend.asarray(s) for s in initial]
        return layer(x, **keywords)

    return layer, call, ref


@pytest.mark.parametrize("backend, case", backend_params(CASES, _on_jax), indirect=["backend"])
def test_forward_matches_numpy_loop(backend, float64, case):
    layer, call, ref = _case(*case)
    check_forward(call, ref, X)


@pytest.mark.parametrize("backend, case", backend_params(CASES, lambda name, case: name in (
    "lstm-masked-sequences", "gru-sequences")), indirect=["backend"])
def test_gradients_through_time_match_finite_differences(backend, float64, case):
    layer, call, _ = _case(*case)
    check_layer_gradients(layer, X, call=call, jit=backend.name == "jax")


@pytest.mark.parametrize("backend", ["numpy"], indirect=True)
def test_stacked_cells_match_numpy_loop(backend, float64):
    cells = [layers.LSTMCell(2, dtype="float64"), layers.GRUCell(2, dtype="float64")]
    layer = layers.RNN(cells, return_sequences=True, return_state=True, dtype="float64")
    layer.build((None, 3, 2))
    layer.set_weights(_weights(layer))
    lstm_w, gru_w = layer.get_weights()[:3], layer.get_weights()[3:]

    def step(x, states):
        h1, (h, c) = reference.lstm_step(x, states[:2], *lstm_w)
        h2, (g,) = reference.gru_step(h1, states[2:], *gru_w)
        return h2, [h, c, g]

    def ref(x):
        out, states = reference.run(step, x, [np.zeros((2, 2))] * 3, return_sequences=True)
        return [out, *states]

    def flat(x):
        out, (h, c), (g,) = layer(x)
        return ops.concatenate([out] + [ops.expand_dims(s, 1) for s in (h, c, g)], axis=1)

    check_forward(flat, lambda x: np.concatenate([ref(x)[0]] + [s[:, None] for s in ref(x)[1:]], 1), X)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
def test_bidirectional_matches_two_numpy_loops(backend, float64, merge_mode):
    layer = layers.Bidirectional(layers.SimpleRNN(2, return_sequences=True), merge_mode=merge_mode, dtype="float64")
    for direction in (layer.forward_layer, layer.backward_layer):
        direction.dtype = direction.cell.dtype = "float64"
    layer.build((None, 3, 2))
    weights = _weights(layer)
    layer.set_weights(weights)
    merge = {"concat": lambda a, b: np.concatenate([a, b], -1), "sum": np.add, "mul": np.multiply,
             "ave": lambda a, b: (a + b) / 2}[merge_mode]

    def ref(x):
        step = reference.simple_rnn_step
        forward, _ = reference.run(lambda xt, s: step(xt, s, *weights[:3]), x, [np.zeros((2, 2))],
                                   return_sequences=True)
        backward, _ = reference.run(lambda xt, s: step(xt, s, *weights[3:]), x, [np.zeros((2, 2))],
                                    go_backwards=True, return_sequences=True)
        return merge(forward, backward[:, ::-1])

    check_forward(lambda x: layer(x), ref, X)


def test_float32_in_float32_out(backend):
    kinds = [layers.LSTM(3, return_sequences=True)]
    if backend.name == "numpy":
        kinds += [layers.GRU(3), layers.SimpleRNN(3), layers.LSTM(3)]
    for layer in kinds:
        out = layer(backend.asarray(X.astype(np.float32)), mask=None if layer.return_sequences else MASK)
        assert np.dtype(out.dtype) == np.float32 and backend.is_array(out)


@pytest.mark.parametrize("kind, states", [("lstm", 2), ("gru", 1)])
def test_fused_numpy_sequences_equal_generic_steps(float64, kind, states):
    """On NumPy an LSTM or GRU without a mask runs one fused primitive; its values and gradients (through the
    tape's closed-form BPTT) equal finite differences and the generic steps', which run when a mask is given
    (here: all True)."""
    with active.using(get_backend("numpy")):
        layer = _built(lambda: KINDS[kind][0](return_sequences=True, return_state=True))
        assert active.backend.fused_recurrence(kind) is not None

        def call(x, mask=None):
            return layer(x, initial_state=[x[:, 0], x[:, 1]][:states], mask=mask)

        fused = check_layer_gradients(layer, X, call=call)
        generic = check_layer_gradients(layer, X, call=lambda x: call(x, np.ones((2, 3), bool)))
        for a, b in zip(fused[0], generic[0]):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_fused_numpy_sequences_apply_the_input_dropout_mask(float64, kind, monkeypatch):
    """With input dropout in training (no recurrent dropout) the fused kernel runs on the masked inputs: values and
    gradients equal the generic steps' with the same mask (drawn once here, so both runs share it)."""
    with active.using(get_backend("numpy")):
        layer = _built(lambda: KINDS[kind][0](return_sequences=True, dropout=0.5))
        input_mask = np.array([[2.0, 0.0], [0.0, 2.0]])
        monkeypatch.setattr(layer.cell, "dropout_masks",
                            lambda batch, features, dtype, training: (input_mask, None) if training else (None, None))
        fused = check_layer_gradients(layer, X, call=lambda x: layer(x, training=True))
        generic = check_layer_gradients(layer, X, call=lambda x: layer(x, mask=np.ones((2, 3), bool), training=True))
        for a, b in zip(fused[0], generic[0]):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        undropped = np.asarray(layer(X * np.array([2.0, 0.0])[None, None]))
        np.testing.assert_allclose(np.asarray(layer(X, training=True))[0], undropped[0], rtol=1e-12)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_fused_numpy_gradients_equal_jax_scan(kind):
    """The tape's closed-form BPTT (NumPy) and jax.grad through lax.scan (JAX) on the same float64 layer."""
    layer = _built(lambda: KINDS[kind][0](return_sequences=True))
    weights = layer.trainable_weights

    def run(x, *values):
        with Assigned(weights, list(values)):
            return layer(x)

    check_tape_matches_jax(run, X, *[w.numpy() for w in weights], jit=True)
