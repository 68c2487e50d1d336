"""End to end: an LSTM and a GRU learn whether the sum of a random sequence is positive, on NumPy and JAX
(on JAX one model stacks both, to compile one train step)."""
import numpy as np
import pytest

import nnkit
from nnkit import layers

RNG = np.random.default_rng(11)
X = RNG.standard_normal((384, 8, 1)).astype(np.float32)
Y = (X.sum(axis=(1, 2)) > 0).astype(np.float32)[:, None]

MODELS = {
    "lstm": lambda: [layers.LSTM(8)],
    "gru": lambda: [layers.GRU(8)],
    "gru-lstm": lambda: [layers.GRU(8, return_sequences=True), layers.LSTM(8)],
}


def _fit(backend, recurrent):
    nnkit.utils.set_random_seed(0)
    model = nnkit.Sequential([layers.Input((8, 1)), *recurrent(), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=nnkit.optimizers.Adam(0.03), loss="binary_crossentropy", metrics=["accuracy"],
                  backend=backend.name)
    history = model.fit(X[:256], Y[:256], batch_size=32, epochs=12, verbose=0)
    return model, history.history["accuracy"][-1]


@pytest.mark.parametrize("backend", ["numpy"], indirect=True)
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_learns_the_sign_of_a_sum_on_numpy(backend, kind):
    model, train_accuracy = _fit(backend, MODELS[kind])
    assert train_accuracy >= 0.93
    assert model.evaluate(X[256:], Y[256:], verbose=0)[1] >= 0.85


@pytest.mark.parametrize("backend", ["jax"], indirect=True)
def test_stacked_gru_and_lstm_learn_the_sign_of_a_sum_on_jax(backend):
    _, train_accuracy = _fit(backend, MODELS["gru-lstm"])
    assert train_accuracy >= 0.93
