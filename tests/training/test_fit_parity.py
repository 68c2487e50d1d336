"""Smaller Keras parity points of fit/summary/predict."""
import io
import contextlib

import numpy as np

import nnkit
from nnkit import callbacks, layers

X = np.random.default_rng(1).normal(size=(8, 3))  # float64 on purpose


class _Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_test_begin(self, logs=None):
        self.calls.append("test_begin")

    def on_test_batch_end(self, batch, logs=None):
        self.calls.append("test_batch_end")

    def on_test_end(self, logs=None):
        self.calls.append(("test_end", sorted(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append("epoch_end")


def test_validation_fires_on_test_callbacks_before_epoch_end():
    model = nnkit.Sequential([nnkit.Input((3,)), layers.Dense(1)])
    model.compile(loss="mse")
    recorder = _Recorder()
    model.fit(X, X[:, :1], validation_split=0.25, epochs=2, batch_size=3, verbose=0, callbacks=[recorder])
    one_epoch = ["test_begin", "test_batch_end", ("test_end", ["loss"]), "epoch_end"]
    assert recorder.calls == one_epoch * 2
    assert recorder.params["epochs"] == 2


def test_output_without_loss_logs_no_loss():
    inputs = nnkit.Input((3,))
    model = nnkit.Model(inputs, [layers.Dense(1, name="a")(inputs), layers.Dense(2, name="b")(inputs)])
    model.compile(loss=[None, "mse"], metrics=[[], ["mae"]])
    logs = model.evaluate(X, [X[:, :1], X[:, :2]], verbose=0, return_dict=True)
    assert sorted(logs) == ["b_loss", "b_mae", "loss"]


def test_summary_totals_have_thousands_separators():
    model = nnkit.Sequential([nnkit.Input((100,)), layers.Dense(250)])
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        model.summary()
    assert "Total params: 25,250 (" in text.getvalue() and "Trainable params: 25,250 (" in text.getvalue()


def test_predictions_come_back_in_floatx(backend):
    model = nnkit.Sequential([nnkit.Input((3,)), layers.Dense(2)])
    model.compile(loss="mse", backend=backend.name)
    assert model.predict(X, verbose=0).dtype == np.float32
    assert model.predict(X.astype(np.float16), verbose=0).dtype == np.float32
