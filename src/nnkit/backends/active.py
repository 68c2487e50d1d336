"""The backend whose array namespace nnkit.ops computes with right now, per thread (and per context).

Models activate their compiled backend around every call; where nothing is active the process default
(NumPy) is. The choice lives in a ContextVar, so two threads training on two backends never see each
other's. `active.backend` and `active.xp` read it on access (module properties); the hottest paths call
`now()` once (a C call) and read both from the record it returns.
"""
import sys
import types
from contextvars import ContextVar


class Active:
    """One activation: the backend and its array namespace, read together by every op."""

    __slots__ = ("backend", "xp")

    def __init__(self, backend):
        self.backend = backend
        self.xp = None if backend is None else backend.xp


_default = Active(None)  # filled by set_default; what threads (and contexts) that activated nothing see
_current = ContextVar("nnkit_active_backend", default=_default)
now = _current.get  # now() -> the Active record of this thread/context
_records = {}  # id(backend) -> its Active record, made once: entering `using` allocates nothing


def _record(backend):
    record = _records.get(id(backend))
    if record is None or record.backend is not backend:
        record = _records[id(backend)] = Active(backend)
    return record


def set_default(backend):
    """Make `backend` the process-wide default: the active one wherever no other was activated."""
    _default.backend, _default.xp = backend, backend.xp


class using:
    """Context: compute with `new_backend` inside the block, then restore the previous backend.
    (A class rather than a generator-based context manager: models enter it on every call.)"""

    __slots__ = ("new_backend", "token")

    def __init__(self, new_backend):
        self.new_backend = new_backend

    def __enter__(self):
        self.token = _current.set(_record(self.new_backend))
        return self.new_backend

    def __exit__(self, *exc):
        _current.reset(self.token)


class _ActiveModule(types.ModuleType):
    """This module, with `backend` and `xp` read from the current thread's record on every access (a property
    costs a seventh of a module __getattr__, which runs only after a failed lookup)."""

    @property
    def backend(self):
        return _current.get().backend

    @property
    def xp(self):
        return _current.get().xp


sys.modules[__name__].__class__ = _ActiveModule
