"""initialize() and list_devices(): the backend starts the job and names the devices."""
import pytest

from nnkit.backends import Backend, get_backend
from nnkit.distribution import initialize, list_devices


def test_list_devices_of_the_numpy_backend():
    assert list_devices(backend="numpy") == ["cpu:0"]
    assert list_devices("gpu", backend="numpy") == []


def test_initialize_passes_the_coordinator_count_and_id_from_the_environment(monkeypatch):
    received = []
    numpy_backend = get_backend("numpy")
    monkeypatch.setattr(numpy_backend, "initialize_processes", lambda *args: received.append(args))
    monkeypatch.setenv("NNKIT_DISTRIBUTION_JOB_ADDRESSES", "10.0.0.1:1234, 10.0.0.2:1234")
    monkeypatch.setenv("NNKIT_DISTRIBUTION_NUM_PROCESSES", "2")
    monkeypatch.setenv("NNKIT_DISTRIBUTION_PROCESS_ID", "1")
    initialize(backend="numpy")
    initialize("host:99", 4, 3, backend="numpy")  # arguments win over the environment
    assert received == [("10.0.0.1:1234", 2, 1), ("host:99", 4, 3)]


def test_a_malformed_environment_value_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("NNKIT_DISTRIBUTION_NUM_PROCESSES", "two")
    with pytest.raises(ValueError, match="NNKIT_DISTRIBUTION_NUM_PROCESSES must be an integer, received 'two'"):
        initialize(backend="numpy")


def test_a_backend_without_multi_process_support_says_so():
    class OneProcess(Backend):
        name = "one_process"

    with pytest.raises(ValueError, match="The one_process backend cannot run a multi-process job"):
        OneProcess().initialize_processes("host:1234", 2, 0)
