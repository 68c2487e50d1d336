"""The distribution compile() uses when not given one (Keras 3's set_distribution / distribution)."""
from nnkit.distribution.distributions import Distribution

_current = None


def set_distribution(value):
    """Make `value` (a DataParallel, a ModelParallel, or None for one device) the default for compile()."""
    global _current
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(f"set_distribution() takes a DataParallel, a ModelParallel or None, received {value!r}.")
    _current = value


def distribution():
    """The distribution set with set_distribution(), or None (one device)."""
    return _current
