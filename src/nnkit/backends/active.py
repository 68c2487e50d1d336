"""The backend whose array namespace nnkit.ops computes with right now.

Models activate their compiled backend around every call; outside a model the default backend
(NumPy) is active. Kept as plain module globals because every op reads them.
"""
backend = None
xp = None


def set_active(new_backend):
    """Make `new_backend` the one ops compute with; returns the previous one."""
    global backend, xp
    previous = backend
    backend, xp = new_backend, new_backend.xp
    return previous


class using:
    """Context: compute with `new_backend` inside the block, then restore the previous backend.
    (A class rather than a generator-based context manager: models enter it on every call.)"""

    __slots__ = ("new_backend", "previous")

    def __init__(self, new_backend):
        self.new_backend = new_backend

    def __enter__(self):
        self.previous = set_active(self.new_backend)
        return self.new_backend

    def __exit__(self, *exc):
        if self.previous is not None:
            set_active(self.previous)
