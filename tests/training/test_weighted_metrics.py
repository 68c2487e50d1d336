"""Keras' weighting rule: compile(metrics=...) ignore sample and class weights, weighted_metrics use them."""
import numpy as np
import pytest

import nnkit
from conftest import BACKENDS
from layer_checks import keras_or_skip

X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.5], [0.5, -1.0], [2.0, 1.0], [-1.0, -1.0], [0.3, 0.2]],
             np.float32)
Y = np.array([[1], [0], [1], [0], [1], [1], [1], [0]], np.float32)
SAMPLE_WEIGHT = np.array([3.0, 0.0, 1.0, 2.0, 0.5, 0.0, 4.0, 1.0], np.float32)
CLASS_WEIGHT = {0: 0.25, 1: 3.0}
KERNEL = [np.array([[0.7], [-0.4]], np.float32), np.array([0.1], np.float32)]


def _fit_logs(library, backend=None, **fit_kwargs):
    """The logs of one epoch with learning rate 0 (the metrics see the copied weights)."""
    model = library.Sequential([library.Input((2,)), library.layers.Dense(1, activation="sigmoid")])
    model.set_weights(KERNEL)
    options = {} if backend is None else {"backend": backend}
    model.compile(optimizer=library.optimizers.SGD(0.0), loss="binary_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy", "mae"], **options)
    history = model.fit(X, Y, batch_size=len(X), epochs=1, verbose=0, shuffle=False, **fit_kwargs)
    return {name: values[-1] for name, values in history.history.items()}


@pytest.mark.parametrize("backend_name, weights", [
    ("numpy", {"sample_weight": SAMPLE_WEIGHT}), ("numpy", {"class_weight": CLASS_WEIGHT}),
    pytest.param("jax", {"class_weight": CLASS_WEIGHT}, marks=pytest.mark.skipif(
        "jax" not in BACKENDS, reason="JAX is not installed"))], ids=["numpy-sample", "numpy-class", "jax-class"])
def test_weighted_and_unweighted_metrics_match_keras(backend_name, weights):
    keras = keras_or_skip()
    expected = _fit_logs(keras, **weights)
    logs = _fit_logs(nnkit, backend_name, **weights)
    assert sorted(logs) == sorted(expected) == ["accuracy", "loss", "mae", "weighted_accuracy"]
    for name, value in expected.items():
        assert logs[name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
    assert logs["accuracy"] != pytest.approx(logs["weighted_accuracy"])


def test_metrics_ignore_sample_weight_in_evaluate():
    model = nnkit.Sequential([nnkit.Input((2,)), nnkit.layers.Dense(1, activation="sigmoid")])
    model.set_weights(KERNEL)
    model.compile(loss="binary_crossentropy", metrics=["accuracy"], weighted_metrics=["accuracy"])
    logs = model.evaluate(X, Y, sample_weight=SAMPLE_WEIGHT, verbose=0, return_dict=True)
    predicted = (1 / (1 + np.exp(-(X @ KERNEL[0] + KERNEL[1]))) > 0.5).astype(np.float32)
    correct = (predicted == Y)[:, 0]
    assert logs["accuracy"] == pytest.approx(correct.mean())
    assert logs["weighted_accuracy"] == pytest.approx((correct * SAMPLE_WEIGHT).sum() / SAMPLE_WEIGHT.sum())


def test_multi_output_names_follow_keras():
    inputs = nnkit.Input((2,))
    first = nnkit.layers.Dense(1, name="a")(inputs)
    second = nnkit.layers.Dense(1, name="b")(inputs)
    model = nnkit.Model(inputs, [first, second])
    model.compile(loss="mse", metrics=["mae"], weighted_metrics=["mae", "mse"])
    logs = model.evaluate(X, [Y, Y], verbose=0, return_dict=True)
    assert set(logs) >= {"a_mae", "a_weighted_mae", "a_mse", "b_mae", "b_weighted_mae", "b_mse"}
