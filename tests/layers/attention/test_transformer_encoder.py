"""End to end: a two-block transformer encoder (Embedding with padding masks, MultiHeadAttention,
LayerNormalization, Dense, residual adds, masked average pooling) learns whether a token occurs in a
padded sequence, on NumPy and on JAX, to at least 95% accuracy on held-out sequences."""
import numpy as np
import pytest

import nnkit
from nnkit import layers

VOCABULARY, LENGTH, WIDTH = 6, 6, 8
TARGET = 5


def sequences(count, seed):
    """Token sequences of 2..6 tokens from 1..5, padded with 0; label: whether TARGET occurs."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, VOCABULARY - 1, size=(count, LENGTH))
    with_target = rng.random(count) < 0.5
    tokens[with_target, rng.integers(0, 2, size=with_target.sum())] = TARGET
    lengths = rng.integers(2, LENGTH + 1, size=count)
    tokens[np.arange(LENGTH)[None, :] >= lengths[:, None]] = 0
    labels = (tokens == TARGET).any(axis=1).astype("float32")
    return tokens, labels


def encoder_block(x, name):
    attended = layers.MultiHeadAttention(2, 4, name=f"{name}_attention")(x, x)
    x = layers.LayerNormalization(name=f"{name}_norm1")(layers.Add()([x, attended]))
    hidden = layers.Dense(WIDTH, name=f"{name}_out")(layers.Dense(16, activation="relu", name=f"{name}_ff")(x))
    return layers.LayerNormalization(name=f"{name}_norm2")(layers.Add()([x, hidden]))


def transformer():
    nnkit.set_random_seed(12)
    tokens = layers.Input((LENGTH,), dtype="int32")
    x = layers.Embedding(VOCABULARY, WIDTH, mask_zero=True)(tokens)
    x = encoder_block(encoder_block(x, "block1"), "block2")
    pooled = layers.GlobalAveragePooling1D()(x)
    return nnkit.Model(tokens, layers.Dense(1, activation="sigmoid")(pooled))


@pytest.mark.parametrize("backend_name", nnkit.backends.available_backends())
def test_two_block_encoder_learns_whether_a_token_occurs(backend_name):
    x, y = sequences(320, seed=1)
    x_test, y_test = sequences(200, seed=2)
    model = transformer()
    model.compile(nnkit.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"], backend=backend_name)
    model.fit(x, y, epochs=12, batch_size=32, verbose=0)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"], backend="numpy")  # keeps the weights;
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)  # held out on NumPy: no second JAX compile
    assert accuracy >= 0.95, f"held-out accuracy {accuracy:.3f} (loss {loss:.3f}) on {backend_name}"
