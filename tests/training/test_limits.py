"""nnkit.config.set_max_epochs / set_max_steps_per_epoch (Keras 3.6's debugging caps), applied by fit(),
evaluate() and predict()."""
import numpy as np
import pytest

import nnkit
from nnkit import config, layers
from nnkit.training.limits import capped_epochs, capped_steps

X = np.arange(40, dtype=np.float32).reshape(20, 2) / 40
Y = X.sum(axis=1, keepdims=True)


@pytest.fixture
def caps():
    yield
    config.set_max_epochs(None)
    config.set_max_steps_per_epoch(None)


class CountBatches(nnkit.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.train, self.test, self.predict = 0, 0, 0

    def on_train_batch_end(self, batch, logs=None):
        self.train += 1

    def on_test_batch_end(self, batch, logs=None):
        self.test += 1

    def on_predict_batch_end(self, batch, logs=None):
        self.predict += 1


def test_no_caps_change_nothing():
    assert capped_epochs(7) == 7 and capped_steps(None) is None and capped_steps(5) == 5


@pytest.mark.filterwarnings("ignore:Limiting steps_per_epoch")
def test_caps_limit_epochs_and_the_batches_of_fit_evaluate_predict(caps):
    config.set_max_epochs(2)
    config.set_max_steps_per_epoch(3)
    model = nnkit.Sequential([nnkit.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", backend="numpy")
    counter = CountBatches()
    with pytest.warns(UserWarning, match="Limiting epochs to 2"):
        history = model.fit(X, Y, batch_size=4, epochs=5, verbose=0, callbacks=[counter],
                            validation_data=(X, Y))
    assert len(history.history["loss"]) == 2 and counter.train == 2 * 3
    assert counter.test == 2 * 3  # validation passes are capped too
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
        model.evaluate(X, Y, batch_size=4, verbose=0, callbacks=[counter])
    assert counter.test == 2 * 3 + 3
    predictions = model.predict(X, batch_size=4, verbose=0, callbacks=[counter])
    assert counter.predict == 3 and predictions.shape == (12, 1)
    assert capped_steps(2) == 2  # a smaller request stays
