"""Shared fixtures: one parametrisation over every installed backend, and float64 switches for JAX."""
import contextlib
import os

import pytest

# The tests check numbers, not the speed of XLA's code: most compiled programs run a few times, so LLVM's
# optimisation of each costs more than it saves (about a fifth of the suite's time). Set before JAX starts;
# benchmarks/ keeps XLA's defaults.
if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=0").strip()

from nnkit.backends import active, available_backends, get_backend

BACKENDS = available_backends()


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Each installed backend in turn, made active for the test."""
    chosen = get_backend(request.param)
    with active.using(chosen):
        yield chosen


@contextlib.contextmanager
def float64_enabled():
    """Let JAX compute in float64 inside the block (NumPy always can)."""
    if "jax" not in BACKENDS:
        yield
        return
    import jax

    previous = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", previous)


@pytest.fixture
def float64():
    """Fixture form of float64_enabled()."""
    with float64_enabled():
        yield


def pytest_configure(config):
    """Correctness tests compare backends in full float32: JAX on GPUs defaults to TF32 matmuls. Each
    pytest-xdist worker gets one BLAS thread: workers already fill the cores, and OpenBLAS threads that
    spin-wait for a busy core make small matmuls hundreds of times slower."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    if "jax" in BACKENDS:
        import jax

        jax.config.update("jax_default_matmul_precision", "highest")
