"""mpirun_command: the launcher line for N processes of a script on this machine, per MPI implementation."""
import os
import sys

import pytest

from nnkit.distribution import mpirun


def _fake_launcher(tmp_path, version_text):
    """An executable that answers `--version` like an MPI launcher."""
    path = tmp_path / "mpirun"
    path.write_text(f"#!/bin/sh\necho '{version_text}'\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def launcher(tmp_path, monkeypatch, request):
    path = _fake_launcher(tmp_path, request.param)
    monkeypatch.setattr(mpirun, "find_mpirun", lambda: path)
    return path


@pytest.mark.parametrize("launcher", ["mpirun (Open MPI) 5.0.11"], indirect=True)
def test_open_mpi_may_oversubscribe_unpinned_and_run_as_root(launcher):
    command = mpirun.mpirun_command(4, ["train.py", "out"])
    root = ["--allow-run-as-root"] if os.geteuid() == 0 else []
    assert command == [launcher, "--oversubscribe", "--bind-to", "none", *root, "-n", "4", sys.executable,
                       "train.py", "out"]


@pytest.mark.parametrize("launcher", ["HYDRA build details:\n    Version: 4.2.0"], indirect=True)
def test_mpich_needs_no_flags(launcher):
    assert mpirun.mpirun_command(2, ["train.py"]) == [launcher, "-n", "2", sys.executable, "train.py"]


def test_no_launcher_names_the_install_command(monkeypatch):
    monkeypatch.setattr(mpirun, "find_mpirun", lambda: None)
    with pytest.raises(FileNotFoundError, match=r'pip install "nnkit\[mpi\]"'):
        mpirun.mpirun_command(2, ["train.py"])
