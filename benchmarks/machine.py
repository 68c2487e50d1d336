"""The machine record: CPU, cores, memory, GPU, Python and library versions, date.

Versions come from package metadata, so recording them imports nothing (importing jax or torch here
would fix their device choice before the command line has set it up). `runtime()` is read after the run,
when the libraries are imported, and adds what only they can tell (JAX's devices, numpy's BLAS, ...).
"""
import datetime
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys

from benchmarks.context import usable_cores

LIBRARIES = ("numpy", "jax", "jaxlib", "optax", "torch", "keras", "cupy", "nnkit")
_DISTRIBUTIONS = {"cupy": ("cupy", "cupy-cuda13x", "cupy-cuda12x", "cupy-cuda11x")}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        return None
    return None


def gpu_info():
    """'name, memory, driver' per GPU from nvidia-smi, or None when there is none."""
    if shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                capture_output=True, text=True, timeout=20,
            )
            names = [line.strip() for line in out.stdout.splitlines() if line.strip()]
            if out.returncode == 0 and names:
                return "; ".join(names)
        except (OSError, subprocess.SubprocessError):
            pass
    return None


def gpu_present():
    return gpu_info() is not None or os.path.exists("/dev/nvidia0")


def library_version(name):
    for distribution in _DISTRIBUTIONS.get(name, (name,)):
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def load_average():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def collect(device):
    return {
        "load_average_at_start": load_average(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": device,
        "cpu_model": cpu_model(),
        "cores": usable_cores(),
        "logical_cpus": os.cpu_count(),
        "memory_gib": memory_gib(),
        "gpu": gpu_info(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": {name: library_version(name) for name in LIBRARIES},
    }


def runtime():
    """What the imported libraries report after the run (only for those already imported)."""
    info = {}
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        try:
            blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
            info["numpy_blas"] = f"{blas.get('name')} {blas.get('version', '')}".strip()
        except Exception:
            pass
    jax = sys.modules.get("jax")
    if jax is not None:
        try:
            info["jax_backend"] = jax.default_backend()
            info["jax_devices"] = [str(d) for d in jax.devices()]
        except Exception as error:
            info["jax_error"] = str(error)
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
        try:
            if torch.cuda.is_available():
                info["torch_cuda_device"] = torch.cuda.get_device_name(0)
        except Exception:
            pass
    keras = sys.modules.get("keras")
    if keras is not None:
        try:
            info["keras_backend"] = keras.backend.backend()
        except Exception:
            pass
    nnkit = sys.modules.get("nnkit")
    if nnkit is not None:
        info["nnkit_file"] = getattr(nnkit, "__file__", None)
    for key in ("JAX_PLATFORMS", "KERAS_BACKEND", "XLA_PYTHON_CLIENT_PREALLOCATE", "OMP_NUM_THREADS"):
        if key in os.environ:
            info.setdefault("environment", {})[key] = os.environ[key]
    return info
