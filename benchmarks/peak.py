"""Matmul peak: the float32 TFLOP/s of one large square matmul, per library, measured in the same run.

The `wide` workload's TFLOP/s is reported against the peak of the library that ran it (JAX rows against
jnp.matmul, torch rows against torch.matmul, ...), so precision defaults (e.g. TF32 on GPUs) are the
same on both sides of the ratio. Results are cached per (library, device) for the run.
"""
import time

_cache = {}


def _best_seconds(run, sync, repeats):
    sync(run())  # warm-up (and compilation)
    sync(run())
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        sync(run())
        best = min(best, time.perf_counter() - start)
    return best


def _numpy(n, device):
    import numpy as np

    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = a.copy()
    out = np.empty_like(a)
    return (lambda: np.matmul(a, b, out=out)), (lambda _r: None)


def _torch(n, device):
    import torch

    dev = "cuda" if device == "gpu" else "cpu"
    a = torch.randn(n, n, dtype=torch.float32, device=dev)
    b = torch.randn(n, n, dtype=torch.float32, device=dev)
    sync = (lambda _r: torch.cuda.synchronize()) if dev == "cuda" else (lambda _r: None)
    return (lambda: a @ b), sync


def _jax(n, device):
    import jax
    import jax.numpy as jnp

    a = jax.random.normal(jax.random.PRNGKey(0), (n, n), jnp.float32)
    b = jax.random.normal(jax.random.PRNGKey(1), (n, n), jnp.float32)
    matmul = jax.jit(jnp.matmul)
    return (lambda: matmul(a, b)), jax.block_until_ready


def _cupy(n, device):
    import cupy

    a = cupy.random.standard_normal((n, n), dtype=cupy.float32)
    b = cupy.random.standard_normal((n, n), dtype=cupy.float32)
    return (lambda: a @ b), (lambda _r: cupy.cuda.Device().synchronize())


_MAKERS = {"numpy": _numpy, "torch": _torch, "jax": _jax, "cupy": _cupy}


def matmul_peak_tflops(library, device):
    """TFLOP/s of the best of a few n x n x n float32 matmuls (n = 8192 on GPU, 2048 on CPU)."""
    key = (library, device)
    if key not in _cache:
        n = 8192 if device == "gpu" else 2048
        try:
            run, sync = _MAKERS[library](n, device)
            seconds = _best_seconds(run, sync, repeats=10 if device == "gpu" else 3)
            _cache[key] = {"tflops": 2.0 * n**3 / seconds / 1e12, "n": n, "seconds": seconds}
        except Exception as error:  # a missing library just has no peak
            _cache[key] = {"tflops": None, "n": n, "error": f"{type(error).__name__}: {error}"}
    return _cache[key]["tflops"]


def measured():
    """Everything measured so far, for the JSON record."""
    return {f"{library}/{device}": value for (library, device), value in _cache.items()}
