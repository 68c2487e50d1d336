"""Replicas, the trainer's distribution seam: the single-device no-op, and where the trainer calls each method
(checked with a pretend second process of a two-process job on the NumPy backend)."""
import numpy as np
import pytest

import nnkit
from nnkit.backends import get_backend
from nnkit.callbacks import Callback, ModelCheckpoint
from nnkit.distribution import Replicas


def test_the_default_replicas_is_one_process_on_one_device():
    replicas = get_backend("numpy").replicas(None)
    assert type(replicas) is Replicas
    assert (replicas.count, replicas.process_count, replicas.process_index) == (1, 1, 0)
    assert replicas.is_chief and replicas.single_device


def test_the_no_op_returns_its_arguments_themselves():
    replicas, values, rows = Replicas(), [np.ones(2)], np.arange(6).reshape(2, 3)
    assert replicas.place_batch(values) is values
    assert replicas.local_rows(rows) is rows
    assert replicas.reduce_gradients(values, 4) is values
    assert replicas.reduce_state(values) is values
    assert replicas.reduce_metrics([np.zeros(2)], values) is values
    assert replicas.broadcast(values) is values
    assert replicas.keep_placement([], values) is values
    assert replicas.check_batch_size(7) is None


def test_the_no_op_fail_re_raises():
    with pytest.raises(KeyError, match="boom"):
        Replicas().fail(KeyError("boom"))


def test_a_backend_names_itself_for_a_distribution_it_cannot_run():
    class OneDevice(nnkit.backends.Backend):
        name = "one_device"

    with pytest.raises(ValueError, match=r"The one_device backend cannot run <DataParallel device_mesh=None"):
        OneDevice().replicas(nnkit.distribution.DataParallel())


class SecondProcess(Replicas):
    """Process 1 of 2: trains on the second half of every global batch and records what the trainer asks."""

    process_count, process_index, count = 2, 1, 2

    def __init__(self):
        self.calls = []

    def check_batch_size(self, batch_size):
        self.calls.append(("check_batch_size", batch_size))

    def broadcast(self, values):
        self.calls.append(("broadcast", len(values)))
        return values

    def place_weights(self, variables):
        self.calls.append(("place_weights", len(variables)))

    def place_batch(self, arrays):
        self.calls.append(("place_batch", len(arrays[0])))
        return arrays

    def local_rows(self, rows):
        self.calls.append(("local_rows", rows.shape))
        return rows[:, rows.shape[1] // 2:]

    def reduce_gradients(self, grads, local_count):
        self.calls.append(("reduce_gradients", int(local_count)))
        return grads

    def reduce_state(self, values):
        self.calls.append(("reduce_state", len(values)))
        return values

    def reduce_metrics(self, old_values, new_values):
        self.calls.append(("reduce_metrics", len(new_values)))
        return [2 * np.asarray(new) - old for old, new in zip(old_values, new_values)]  # as if both had the same

    def fail(self, error):
        self.calls.append(("fail", type(error).__name__))
        raise error


@pytest.fixture
def second_process(monkeypatch):
    """A model compiled on NumPy for a pretend distribution whose replicas are SecondProcess."""
    replicas = SecondProcess()
    distribution = object()
    numpy_backend = get_backend("numpy")
    monkeypatch.setattr(numpy_backend, "replicas", lambda given: replicas if given is distribution else Replicas())
    nnkit.set_random_seed(0)
    model = nnkit.Sequential([nnkit.layers.Dense(3, input_shape=(2,)), nnkit.layers.BatchNormalization(),
                              nnkit.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"], backend="numpy", distribution=distribution)
    return model, replicas


def test_fit_runs_every_step_through_the_seam(second_process, capsys):
    model, replicas = second_process
    x, y = np.arange(32, dtype=np.float32).reshape(16, 2) / 32, np.ones((16, 1), np.float32)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=1)
    calls = replicas.calls
    assert calls[:2] == [("broadcast", 8), ("place_weights", 8)]  # process 0's initial weights, then placed
    assert ("check_batch_size", 8) in calls and ("local_rows", (2, 8)) in calls
    assert calls.count(("place_batch", 4)) == 4  # x and y of 2 steps, each this process's 4 of 8 rows
    assert calls.count(("reduce_gradients", 4)) == 2
    assert calls.count(("reduce_state", 2)) == 2  # BatchNormalization's moving mean and variance
    assert ("reduce_metrics", 4) in calls
    assert "Epoch" not in capsys.readouterr().out  # only process 0 shows progress


def test_metric_state_keeps_the_reduced_values(second_process):
    model, _ = second_process
    model.fit(np.zeros((16, 2), np.float32), np.ones((16, 1), np.float32), batch_size=16, epochs=1, verbose=0)
    trainer = model._trainer
    counts = [float(value) for value, variable in zip(trainer.metric_values, trainer.compile_metrics.variables)
              if variable.name == "count"]
    assert counts == [16.0, 16.0]  # loss and mae: this process's 8 rows, and the same again from "the other"


def test_an_error_in_fit_ends_the_job_through_fail(second_process):
    model, replicas = second_process

    class Breaks(Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        model.fit(np.zeros((8, 2)), np.zeros((8, 1)), batch_size=8, verbose=0, callbacks=[Breaks()])
    assert replicas.calls[-1] == ("fail", "RuntimeError")


def test_only_the_chief_writes_checkpoints(second_process, tmp_path):
    model, _ = second_process
    path = tmp_path / "model.weights.h5"
    model.fit(np.zeros((8, 2)), np.zeros((8, 1)), batch_size=8, verbose=0,
              callbacks=[ModelCheckpoint(str(path), save_weights_only=True, monitor="loss")])
    assert not path.exists()


def test_an_error_in_evaluate_or_predict_ends_the_job_through_fail(second_process):
    model, replicas = second_process
    model.fit(np.zeros((8, 2)), np.zeros((8, 1)), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match="expects samples of shape"):
        model.evaluate(np.zeros((8, 5)), np.zeros((8, 1)), verbose=0)
    assert replicas.calls[-1] == ("fail", "ValueError")
    replicas.calls.clear()
    with pytest.raises(ValueError, match="expects samples of shape"):
        model.predict(np.zeros((8, 5)), verbose=0)
    assert replicas.calls[-1] == ("fail", "ValueError")


def test_a_model_with_its_own_train_step_is_refused_under_a_distribution(monkeypatch):
    distribution = object()
    monkeypatch.setattr(get_backend("numpy"), "replicas",
                        lambda given: SecondProcess() if given is distribution else Replicas())

    class OwnStep(nnkit.Sequential):
        def train_step(self, data):
            return {}

    model = OwnStep([nnkit.layers.Dense(1, input_shape=(2,))])
    with pytest.raises(NotImplementedError, match="overrides train_step: custom steps run on one device"):
        model.compile("sgd", "mse", backend="numpy", distribution=distribution)
