"""Agreement with Keras 3 given Keras' weights: LSTM, GRU (both reset_after forms), SimpleRNN,
Bidirectional(LSTM) and a masked LSTM; one SGD step of an LSTM model; weight names, shapes and order;
summary parameter counts."""
import numpy as np

from layer_checks import keras_or_skip, matches_keras, one_step_matches_keras
from nnkit import layers

RNG = np.random.default_rng(3)
X = RNG.standard_normal((3, 4, 2)).astype(np.float32)
MASK = np.array([[True, True, True, False], [False, True, True, True], [True, False, True, True]])

MODELS = {
    "lstm": lambda L: [L.LSTM(3)],
    "gru": lambda L: [L.GRU(3, return_sequences=True)],
    "gru-reset-before": lambda L: [L.GRU(3, reset_after=False, go_backwards=True)],
    "simple-rnn": lambda L: [L.SimpleRNN(3, return_sequences=True)],
    "bidirectional-lstm": lambda L: [L.Bidirectional(L.LSTM(3, return_sequences=True))],
}


def test_output_matches_keras_with_its_weights():
    """Every kind in one stack (Keras compiles each scan it runs: one model keeps the test fast); the
    Bidirectional LSTM covers LSTM forwards and backwards."""
    matches_keras(lambda L: [L.GRU(3, return_sequences=True),
                             L.GRU(3, reset_after=False, go_backwards=True, return_sequences=True),
                             L.SimpleRNN(3, return_sequences=True), L.Bidirectional(L.LSTM(3))], X)


def test_masked_lstm_matches_keras():
    keras = keras_or_skip()
    reference = keras.layers.LSTM(3, return_sequences=True)
    expected = np.asarray(reference(X, mask=MASK))
    layer = layers.LSTM(3, return_sequences=True)
    layer(X)
    layer.set_weights(reference.get_weights())
    np.testing.assert_allclose(np.asarray(layer(X, mask=MASK)), expected, rtol=1e-5, atol=1e-6)


def test_one_sgd_step_of_an_lstm_model_matches_keras():
    y = RNG.standard_normal((3, 1)).astype(np.float32)
    one_step_matches_keras(lambda L: [L.LSTM(3), L.Dense(1)], X, y, "mse")


def test_weight_names_shapes_and_parameter_counts_match_keras():
    keras = keras_or_skip()
    for make in MODELS.values():
        theirs = keras.Sequential([keras.Input((4, 2))] + make(keras.layers))
        mine = layers.Input((4, 2))
        import nnkit

        model = nnkit.Sequential([mine] + make(layers))
        assert [w.shape for w in model.get_weights()] == [tuple(w.shape) for w in theirs.weights]
        assert [v.name for v in model.weights] == [v.name for v in theirs.weights]
        assert model.count_params() == theirs.count_params()
        lines = []
        model.summary(print_fn=lines.append)
        assert f"Total params: {theirs.count_params():,}" in "\n".join(lines)
