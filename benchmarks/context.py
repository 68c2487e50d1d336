"""What every runner needs to know about this run: the device, the cores, the seed, and how to log."""
import os
import sys
from dataclasses import dataclass, field

# On the GPU each library's own memory counter is read; on the CPU, the process' resident set.
_GPU_MEMORY_KIND = {"torch": "torch-cuda", "jax": "jax", "cupy": "cupy", "numpy": "host"}


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@dataclass
class Context:
    device: str = "cpu"  # 'cpu' | 'gpu'
    seed: int = 0
    cores: int = field(default_factory=usable_cores)
    verbose: bool = True

    def memory_kind(self, library):
        return "host" if self.device == "cpu" else _GPU_MEMORY_KIND[library]

    def log(self, message):
        if self.verbose:
            print(f"  {message}", file=sys.stderr, flush=True)
