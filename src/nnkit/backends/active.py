"""The backend whose array namespace nnkit.ops computes with right now.

Models activate their compiled backend around every call; outside a model the default backend
(NumPy) is active. Kept as plain module globals because every op reads them.
"""
from contextlib import contextmanager

backend = None
xp = None


def set_active(new_backend):
    """Make `new_backend` the one ops compute with; returns the previous one."""
    global backend, xp
    previous = backend
    backend, xp = new_backend, new_backend.xp
    return previous


@contextmanager
def using(new_backend):
    """Compute with `new_backend` inside the block, then restore the previous backend."""
    previous = set_active(new_backend)
    try:
        yield new_backend
    finally:
        if previous is not None:
            set_active(previous)
