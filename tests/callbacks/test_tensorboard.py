"""TensorBoard writes real event files in Keras 3's layout (log_dir/train, log_dir/validation; epoch_* and
batch_* scalars, weight histograms, the model's config as text); TensorBoard's own event reader reads
them back from a real fit."""
import numpy as np
import pytest

from nnkit import callbacks
from nnkit.layers import Dense, Input
from nnkit.models import Sequential

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

RNG = np.random.default_rng(2)
X = RNG.standard_normal((16, 3)).astype("float32")
Y = RNG.standard_normal((16, 1)).astype("float32")


def _read(folder):
    reader = event_accumulator.EventAccumulator(str(folder), size_guidance={"histograms": 0, "scalars": 0,
                                                                           "tensors": 0})
    reader.Reload()
    return reader


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("tensorboard")
    model = Sequential([Input(shape=(3,)), Dense(1, name="out")])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    board = callbacks.TensorBoard(log_dir=log_dir, histogram_freq=1, update_freq=2)
    history = model.fit(X, Y, batch_size=4, epochs=3, verbose=0, validation_data=(X, Y), callbacks=[board])
    return log_dir, history


def test_epoch_scalars_are_the_history_for_training_and_validation(logged):
    log_dir, history = logged
    train, validation = _read(log_dir / "train"), _read(log_dir / "validation")
    for reader, prefix in ((train, ""), (validation, "val_")):
        for name in ("loss", "mae"):
            events = reader.Scalars(f"epoch_{name}")
            assert [e.step for e in events] == [0, 1, 2]
            np.testing.assert_allclose([e.value for e in events], history.history[prefix + name], rtol=1e-6)


def test_batch_scalars_follow_update_freq(logged):
    events = _read(logged[0] / "train").Scalars("batch_loss")
    assert [e.step for e in events] == [2, 4, 6, 8, 10, 12]  # 4 batches per epoch, every 2nd written


def test_weight_histograms_and_the_model_config_are_written(logged):
    reader = _read(logged[0] / "train")
    tags = reader.Tags()
    assert {"out/kernel", "out/bias"} <= set(tags["histograms"])
    assert [e.step for e in reader.Histograms("out/kernel")] == [0, 1, 2]
    assert any("keras" in tag for tag in tags["tensors"])


def test_a_wrong_update_freq_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="update_freq"):
        callbacks.TensorBoard(log_dir=tmp_path, update_freq="sometimes")
