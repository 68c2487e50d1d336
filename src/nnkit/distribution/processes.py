"""Starting a multi-process job and listing devices (Keras 3's keras.distribution.initialize / list_devices).
The backend does the work: JAX through jax.distributed, MPI through its launcher."""
import os

from nnkit.backends import get_backend


def list_devices(device_type=None, backend=None):
    """The devices of `backend` (default: the default backend) as names such as "cpu:0", of `device_type` only
    if given."""
    return get_backend(backend).list_devices(device_type)


def initialize(job_addresses=None, num_processes=None, process_id=None, backend=None):
    """Join this process to a multi-process job; call it before building models, on every process.

    `job_addresses`: comma-separated host:port addresses, the first the coordinator's; each argument not given
    comes from NNKIT_DISTRIBUTION_JOB_ADDRESSES, NNKIT_DISTRIBUTION_NUM_PROCESSES, NNKIT_DISTRIBUTION_PROCESS_ID,
    else from what the backend detects itself (SLURM, Open MPI)."""
    job_addresses = job_addresses or os.environ.get("NNKIT_DISTRIBUTION_JOB_ADDRESSES")
    num_processes = num_processes if num_processes is not None else _environment_int("NNKIT_DISTRIBUTION_NUM_PROCESSES")
    process_id = process_id if process_id is not None else _environment_int("NNKIT_DISTRIBUTION_PROCESS_ID")
    coordinator = job_addresses.split(",")[0].strip() if job_addresses else None
    get_backend(backend).initialize_processes(coordinator, num_processes, process_id)


def _environment_int(name):
    value = os.environ.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer, received {value!r}.") from None
