"""End to end: a small CNN (Conv2D -> Conv2D -> Flatten -> Dense) learns scikit-learn's 8x8 digits to >= 95% test
accuracy on every backend, in a few epochs."""
import numpy as np
import pytest

import nnkit
from nnkit import layers


@pytest.fixture(scope="module")
def digits():
    datasets = pytest.importorskip("sklearn.datasets")
    images, labels = datasets.load_digits(return_X_y=True)
    x = (images / 16.0).reshape(-1, 8, 8, 1).astype(np.float32)
    order = np.random.default_rng(0).permutation(len(x))
    x, labels = x[order], labels[order]
    return (x[:1400], labels[:1400]), (x[1400:], labels[1400:])


def test_small_cnn_learns_digits(backend, digits):
    (x_train, y_train), (x_test, y_test) = digits
    nnkit.utils.set_random_seed(0)
    model = nnkit.Sequential([
        layers.Input(shape=(8, 8, 1)),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=nnkit.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  backend=backend.name)
    model.fit(x_train, y_train, batch_size=64, epochs=4, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.95
