"""A fake model with the surface callbacks use, and a loop that calls the hooks the way fit does."""
import numpy as np
import pytest

from nnkit.callbacks import CallbackList


class FakeOptimizer:
    def __init__(self, learning_rate):
        self.learning_rate = learning_rate


class FakeModel:
    """stop_training, get/set_weights (NumPy lists), optimizer.learning_rate, history."""

    def __init__(self, learning_rate=0.01):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.history = None
        self.weights = [np.zeros((2, 2)), np.zeros(2)]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]


@pytest.fixture
def model():
    return FakeModel()


def run_fit(model, callbacks, epoch_logs, steps=2, verbose=0, batch_logs=None):
    """Drive `callbacks` through len(epoch_logs) epochs of `steps` batches; before epoch e ends the
    model's weights are set to e everywhere, so restored weights say which epoch they came from."""
    epochs = len(epoch_logs)
    cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
                       verbose=verbose, epochs=epochs, steps=steps)
    model.stop_training = False
    cbs.on_train_begin()
    logs = None
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        for batch in range(steps):
            cbs.on_train_batch_begin(batch)
            cbs.on_train_batch_end(batch, dict(batch_logs(epoch, batch)) if batch_logs else {})
        model.set_weights([np.full_like(w, epoch) for w in model.weights])
        logs = dict(epoch_logs[epoch])
        cbs.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    cbs.on_train_end(logs)
    return model.history


@pytest.fixture
def fit():
    return run_fit
