"""BackupAndRestore: a run killed mid-training restarts from its last backup with the same weights, optimizer
state and epoch counter, and ends with the uninterrupted run's weights."""
import json

import numpy as np
import pytest

import nnkit
from nnkit import layers
from nnkit.callbacks import BackupAndRestore, Callback
from nnkit.saving.saving_api import weights_file_attributes

RNG = np.random.default_rng(8)
X = RNG.normal(size=(24, 3)).astype(np.float32)
Y = RNG.normal(size=(24, 1)).astype(np.float32)


class Crash(Exception):
    pass


class CrashAt(Callback):
    """Stands in for a killed process: raises at the start of epoch `epoch`."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Crash()


class Epochs(Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_begin(self, epoch, logs=None):
        self.seen.append(epoch)


def _progress(path):
    """The epoch counter stored in the backup file itself (one atomic write with the weights)."""
    return json.loads(weights_file_attributes(path)["training_metadata"])


def _model():
    nnkit.set_random_seed(9)
    model = nnkit.Sequential([nnkit.Input((3,)), layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer=nnkit.optimizers.Adam(0.01), loss="mse")
    return model


def _fit(model, callbacks, epochs=4):
    model.fit(X, Y, batch_size=8, epochs=epochs, shuffle=False, verbose=0, callbacks=callbacks)


def test_a_crashed_run_resumes_from_its_last_epoch(tmp_path):
    uninterrupted = _model()
    _fit(uninterrupted, [])

    model = _model()
    with pytest.raises(Crash):
        _fit(model, [BackupAndRestore(str(tmp_path)), CrashAt(2)])
    assert _progress(tmp_path / "latest.weights.h5")["epoch"] == 2

    restarted, epochs = _model(), Epochs()  # a new process: fresh model, fresh optimizer
    _fit(restarted, [BackupAndRestore(str(tmp_path)), epochs])
    assert epochs.seen == [2, 3]
    assert restarted.optimizer.iterations == uninterrupted.optimizer.iterations == 12
    for a, b in zip(restarted.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert list(tmp_path.iterdir()) == []  # deleted once training ended normally


def test_batch_level_backups_keep_the_optimizer_state_of_that_step(tmp_path):
    model = _model()
    with pytest.raises(Crash):
        _fit(model, [BackupAndRestore(str(tmp_path), save_freq=2, delete_checkpoint=False), CrashAt(1)])
    assert _progress(tmp_path / "latest.weights.h5") == {"epoch": 0, "batch": 1}
    probe = _model()
    probe.load_weights(tmp_path / "latest.weights.h5")
    assert probe.optimizer.iterations == 2


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    model = _model()
    with pytest.raises(Crash):
        _fit(model, [BackupAndRestore(str(tmp_path), double_checkpoint=True), CrashAt(3)])
    assert _progress(tmp_path / "previous.weights.h5")["epoch"] == 2
    (tmp_path / "latest.weights.h5").write_bytes(b"damaged")
    epochs = Epochs()
    _fit(_model(), [BackupAndRestore(str(tmp_path), double_checkpoint=True), epochs])
    assert epochs.seen == [2, 3]


def test_the_model_must_be_built_and_the_folder_given(tmp_path):
    with pytest.raises(ValueError, match="backup_dir"):
        BackupAndRestore("")
    model = nnkit.Sequential([layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    callback = BackupAndRestore(str(tmp_path))
    callback.set_model(model)
    with pytest.raises(ValueError, match="must be built before fit"):
        callback.on_train_begin()
