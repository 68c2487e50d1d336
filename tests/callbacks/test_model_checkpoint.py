"""ModelCheckpoint: file names from the epoch and the logs, best-only saving by a monitored value (with a
starting threshold), weights-only files, and saving every N batches."""
import numpy as np
import pytest

import nnkit
from nnkit import layers
from nnkit.callbacks import Callback, ModelCheckpoint

RNG = np.random.default_rng(2)
X = RNG.normal(size=(16, 3)).astype(np.float32)
Y = RNG.normal(size=(16, 1)).astype(np.float32)


class ScriptedLogs(Callback):
    """Replaces the epoch's val_loss with scripted values, so 'improved' is known in advance."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]


def _model():
    nnkit.set_random_seed(4)
    model = nnkit.Sequential([nnkit.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _fit(model, callbacks, epochs=4, batch_size=8):
    model.fit(X, Y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0, callbacks=callbacks)


def test_every_epoch_with_formatted_names(tmp_path):
    model = _model()
    _fit(model, [ScriptedLogs([0.5, 0.25, 0.75, 0.125]),
                 ModelCheckpoint(str(tmp_path / "m-{epoch:02d}-{val_loss:.2f}.keras"))])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "m-01-0.50.keras", "m-02-0.25.keras", "m-03-0.75.keras", "m-04-0.12.keras"]
    last = nnkit.models.load_model(tmp_path / "m-04-0.12.keras")
    for a, b in zip(last.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode, threshold, saved_epochs", [
    ("min", None, [1, 2, 4]), ("max", None, [1, 3]), ("auto", 0.2, [4]),
])
def test_best_only(mode, threshold, saved_epochs, tmp_path):
    weights_at = {}

    class Record(Callback):
        def on_epoch_end(self, epoch, logs=None):
            weights_at[epoch + 1] = self.model.get_weights()

    checkpoint = ModelCheckpoint(str(tmp_path / "best-{epoch}.weights.h5"), monitor="val_loss", mode=mode,
                                 save_best_only=True, save_weights_only=True, initial_value_threshold=threshold)
    _fit(_model(), [ScriptedLogs([0.5, 0.25, 0.75, 0.125]), Record(), checkpoint])
    assert sorted(int(p.name.split("-")[1].split(".")[0]) for p in tmp_path.iterdir()) == saved_epochs
    probe = _model()
    probe.load_weights(tmp_path / f"best-{saved_epochs[-1]}.weights.h5")
    for a, b in zip(probe.get_weights(), weights_at[saved_epochs[-1]]):
        np.testing.assert_array_equal(a, b)


def test_every_n_batches(tmp_path):
    _fit(_model(), [ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.weights.h5"), save_weights_only=True,
                                    save_freq=3)], epochs=3, batch_size=8)  # 2 batches per epoch
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e2-b1.weights.h5", "e3-b2.weights.h5"]


def test_bad_arguments_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="must end in '.weights.h5'"):
        ModelCheckpoint(str(tmp_path / "w.keras"), save_weights_only=True)
    with pytest.raises(ValueError, match="must end in '.keras'"):
        ModelCheckpoint(str(tmp_path / "m.ckpt"))
    with pytest.raises(ValueError, match="unrecognized save_freq"):
        ModelCheckpoint(str(tmp_path / "m.keras"), save_freq="batch")
    with pytest.raises(KeyError, match="val_acc"):
        _fit(_model(), [ModelCheckpoint(str(tmp_path / "m-{val_acc}.keras"))], epochs=1)
