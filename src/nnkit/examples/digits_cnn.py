"""Train a small convolutional network on scikit-learn's 8x8 digits and report held-out accuracy.

Usage: python -m nnkit.examples.digits_cnn [--backend numpy|jax|cupy] [--epochs N] [--save PATH]
"""
import argparse

import numpy as np

import nnkit
from nnkit import layers


def load_data(seed=0):
    """Images scaled to [0, 1] as (samples, 8, 8, 1) and integer labels, split 80/20 with a fixed shuffle."""
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(images))
    images = (images[order] / 16.0).reshape(-1, 8, 8, 1).astype("float32")
    labels = labels[order]
    cut = int(0.8 * len(images))
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:])


def build_model():
    """Conv 16 -> BatchNorm -> Conv 32 (stride 2) -> MaxPool -> Dropout -> Dense 10 (softmax)."""
    return nnkit.Sequential([
        layers.Input(shape=(8, 8, 1)),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.BatchNormalization(momentum=0.9),  # a short run: moving statistics that keep up
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None, help="numpy (default), jax or cupy; else $NNKIT_BACKEND")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--save", default=None, help="write the trained model here (.keras or .h5)")
    args = parser.parse_args(argv)

    nnkit.set_random_seed(42)
    (x_train, y_train), (x_test, y_test) = load_data()
    model = build_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  backend=args.backend)
    model.summary()
    print(f"Training on backend: {model.backend.name} ({model.backend.describe()})")
    model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, validation_split=0.1)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f}  Test accuracy: {accuracy:.4f}")
    if args.save:
        model.save(args.save)
        print(f"Saved to {args.save}")
    return accuracy


if __name__ == "__main__":
    main()
