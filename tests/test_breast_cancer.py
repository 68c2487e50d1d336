"""The issue's must-shows on scikit-learn's breast-cancer set (nnkit.examples.breast_cancer.load_data):
a 3-layer MLP reaches >= 95% held-out accuracy on every installed backend, and for the same seed and data
(no dropout) NumPy and the other backends start from exactly the same weights and report the same loss
after one epoch (within 1e-4 relative)."""
import contextlib
import io

import numpy as np
import pytest

import nnkit
from nnkit import layers
from nnkit.backends import available_backends

pytest.importorskip("sklearn")
from nnkit.examples import breast_cancer  # noqa: E402 - needs scikit-learn

BACKENDS = available_backends()
SEED = 7
EPOCHS = 20
BATCH = 35  # 455 training samples = 13 batches of 35: every step has the same shape (one compile on JAX)


def _mlp():
    """30 -> 32 (relu) -> 16 (relu) -> 1 (sigmoid): the example's MLP without its dropout."""
    return nnkit.Sequential([
        layers.Input(shape=(30,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


@pytest.fixture(scope="module")
def data():
    return breast_cancer.load_data()


@pytest.fixture(scope="module")
def runs(data):
    """Per backend: initial weights, the loss after one epoch, then held-out accuracy after EPOCHS epochs."""
    (x_train, y_train), (x_test, y_test) = data
    results = {}
    for name in BACKENDS:
        nnkit.set_random_seed(SEED)
        model = _mlp()
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"], backend=name)
        initial = model.get_weights()
        first = model.fit(x_train, y_train, batch_size=BATCH, epochs=1, verbose=0)
        after_one = model.evaluate(x_train, y_train, batch_size=len(x_train), verbose=0, return_dict=True)
        model.fit(x_train, y_train, batch_size=BATCH, epochs=EPOCHS, initial_epoch=1, verbose=0)
        test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=len(x_test), verbose=0)
        results[name] = {"initial": initial, "epoch_loss": first.history["loss"][0], "after_one": after_one,
                         "test_accuracy": test_accuracy, "test_loss": test_loss}
    return results


def test_the_data_is_the_standardised_80_20_split(data):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (455, 30) and x_test.shape == (114, 30)
    assert set(np.unique(y_train)) == {0.0, 1.0}
    np.testing.assert_allclose(x_train.mean(axis=0), 0.0, atol=1e-4)


@pytest.mark.parametrize("name", BACKENDS)
def test_the_mlp_reaches_95_percent_test_accuracy(runs, name):
    assert runs[name]["test_accuracy"] >= 0.95, runs[name]


@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs a second installed backend")
@pytest.mark.parametrize("name", [b for b in BACKENDS if b != "numpy"])
def test_same_seed_gives_exactly_the_same_initial_weights(runs, name):
    for got, expected in zip(runs[name]["initial"], runs["numpy"]["initial"]):
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs a second installed backend")
@pytest.mark.parametrize("name", [b for b in BACKENDS if b != "numpy"])
def test_same_loss_after_one_epoch(runs, name):
    reference = runs["numpy"]
    assert runs[name]["epoch_loss"] == pytest.approx(reference["epoch_loss"], rel=1e-4)
    assert runs[name]["after_one"]["loss"] == pytest.approx(reference["after_one"]["loss"], rel=1e-4)
    assert runs[name]["after_one"]["loss"] < np.log(2.0)  # it did learn something in that epoch


def test_the_example_script_runs_and_reports_its_accuracy(monkeypatch, tmp_path):
    monkeypatch.delenv("NNKIT_BACKEND", raising=False)
    monkeypatch.setenv("NNKIT_HOME", str(tmp_path))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        accuracy = breast_cancer.main(["--backend", "numpy", "--epochs", "15"])
    text = out.getvalue()
    assert accuracy >= 0.95
    assert "Total params: 1,537" in text  # 30*32+32 + 32*16+16 + 16+1
    assert "Training on backend: numpy" in text
    assert f"Test accuracy: {accuracy:.4f}" in text
