"""Safe mode: while loading, configs may not bring back Python code (a Lambda's function) unless the
caller opted out with safe_mode=False, Keras' rule."""
import contextlib
import contextvars

_SAFE = contextvars.ContextVar("nnkit_safe_mode", default=True)


def in_safe_mode():
    """Whether code stored in (or named by) a config must be refused now."""
    return _SAFE.get()


@contextlib.contextmanager
def safe_mode_scope(safe_mode=True):
    """Run the block with safe mode on or off."""
    token = _SAFE.set(bool(safe_mode))
    try:
        yield
    finally:
        _SAFE.reset(token)
