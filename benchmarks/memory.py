"""Peak-memory probes: one per kind of memory, each reset before a measurement and read after it.

- host:       peak resident set size of the process during the measurement, above its size at the start.
              On Linux the kernel's high-water mark (VmHWM) is reset by writing '5' to /proc/self/clear_refs;
              where that is not allowed, the ru_maxrss delta is used (which only sees growth above the
              process' earlier peak, so it can read 0 for a run that follows a bigger one).
- torch-cuda: torch.cuda.max_memory_allocated() after reset_peak_memory_stats(), minus what was allocated
              at the start.
- jax:        the device's memory_stats()['peak_bytes_in_use']. JAX cannot reset it, so a run that does
              not raise the process peak is reported as an upper bound ('<=').
- cupy:       the default memory pool's total bytes after free_all_blocks() at the start (the pool keeps
              what it grew to, so this is its high-water mark).

All measurements of one process share these counters, so every framework's run is preceded by
gc.collect() and, on GPU, by emptying the caches of the libraries that have them.
"""
import gc
import resource
import sys

_CLEAR_REFS = "/proc/self/clear_refs"
_STATUS = "/proc/self/status"


def _status_kib(key):
    try:
        with open(_STATUS) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_hwm():
    try:
        with open(_CLEAR_REFS, "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _ru_maxrss_bytes():
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value if sys.platform == "darwin" else value * 1024


class Measurement:
    """What a probe read: bytes (or None), the method, and whether it is only an upper bound."""

    def __init__(self, bytes_, method, upper_bound=False, note=None):
        self.bytes = bytes_
        self.method = method
        self.upper_bound = upper_bound
        self.note = note

    @classmethod
    def from_dict(cls, record):
        return cls(record.get("bytes"), record.get("method"), record.get("upper_bound", False), record.get("note"))

    def as_dict(self):
        return {"bytes": self.bytes, "method": self.method, "upper_bound": self.upper_bound, "note": self.note}


class HostProbe:
    kind = "host"

    def start(self):
        gc.collect()
        self._hwm_reset = _reset_hwm()
        self._rss0 = _status_kib("VmRSS")
        self._maxrss0 = _ru_maxrss_bytes()

    def stop(self):
        if self._hwm_reset and self._rss0 is not None:
            hwm = _status_kib("VmHWM")
            if hwm is not None:
                return Measurement(max(0, hwm - self._rss0) * 1024, "rss-hwm-delta")
        return Measurement(max(0, _ru_maxrss_bytes() - self._maxrss0), "ru_maxrss-delta")


class TorchCudaProbe:
    kind = "torch-cuda"

    def start(self):
        import torch

        gc.collect()
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        self._base = torch.cuda.memory_allocated()

    def stop(self):
        import torch

        torch.cuda.synchronize()
        return Measurement(max(0, torch.cuda.max_memory_allocated() - self._base), "torch.cuda.max_memory_allocated")


class JaxProbe:
    kind = "jax"

    def _stats(self):
        import jax

        try:
            return jax.devices()[0].memory_stats() or {}
        except Exception:  # some platforms (CPU) have no stats
            return {}

    def start(self):
        gc.collect()
        stats = self._stats()
        self._peak0 = stats.get("peak_bytes_in_use")
        self._in_use0 = stats.get("bytes_in_use", 0)

    def stop(self):
        stats = self._stats()
        peak = stats.get("peak_bytes_in_use")
        if peak is None or self._peak0 is None:
            return Measurement(None, "jax memory_stats unavailable")
        if peak > self._peak0:
            return Measurement(peak - self._in_use0, "jax peak_bytes_in_use")
        return Measurement(
            self._peak0 - self._in_use0, "jax peak_bytes_in_use", upper_bound=True,
            note="did not raise the process-wide peak, which JAX cannot reset",
        )


class CupyProbe:
    kind = "cupy"

    def start(self):
        import cupy

        gc.collect()
        cupy.cuda.Device().synchronize()
        self._pool = cupy.get_default_memory_pool()
        self._pool.free_all_blocks()
        self._base = self._pool.used_bytes()

    def stop(self):
        import cupy

        cupy.cuda.Device().synchronize()
        return Measurement(max(0, self._pool.total_bytes() - self._base), "cupy default pool total_bytes")


PROBES = {"host": HostProbe, "torch-cuda": TorchCudaProbe, "jax": JaxProbe, "cupy": CupyProbe}


def probe(kind):
    return PROBES[kind]()


def format_bytes(measurement):
    if measurement is None or measurement.bytes is None:
        return "-"
    value = measurement.bytes / 2**20
    text = f"{value:.0f} MiB" if value >= 10 else f"{value:.1f} MiB"
    return ("<=" if measurement.upper_bound else "") + text
