"""Train a small MLP on scikit-learn's breast-cancer set and report held-out accuracy.

Usage: python -m nnkit.examples.breast_cancer [--backend numpy|jax|cupy] [--epochs N]
"""
import argparse

import numpy as np

import nnkit
from nnkit import layers


def load_data(seed=0):
    """Standardised features and 0/1 labels, split 80/20 with a fixed shuffle."""
    from sklearn.datasets import load_breast_cancer

    features, labels = load_breast_cancer(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(features))
    features, labels = features[order].astype("float32"), labels[order].astype("float32")
    cut = int(0.8 * len(features))
    mean, std = features[:cut].mean(axis=0), features[:cut].std(axis=0)
    features = (features - mean) / std
    return (features[:cut], labels[:cut]), (features[cut:], labels[cut:])


def build_model():
    """The 3-layer MLP: 30 -> 32 (relu) -> 16 (relu) -> 1 (sigmoid)."""
    return nnkit.Sequential([
        layers.Input(shape=(30,)),
        layers.Dense(32, activation="relu"),
        layers.Dropout(0.1),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None, help="numpy (default), jax or cupy; else $NNKIT_BACKEND")
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args(argv)

    nnkit.set_random_seed(42)
    (x_train, y_train), (x_test, y_test) = load_data()
    model = build_model()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"], backend=args.backend)
    model.summary()
    print(f"Training on backend: {model.backend.name} ({model.backend.describe()})")
    model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, validation_split=0.1)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f}  Test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
