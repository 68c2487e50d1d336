"""Normalizing the arguments of ops and layers over spatial axes (Keras' rules): an int or one int per axis,
padding names and data formats, with errors that name the caller (an op, or a layer) when one is given."""
import numbers

from nnkit.config import image_data_format


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _prefix(owner):
    return f"{owner}: " if owner else ""


def per_axis(value, rank, name, owner=None, allow_zero=False):
    """`value` (an int, or `rank` ints) as a tuple of `rank` ints, each positive (or non-negative with
    allow_zero)."""
    values = (value,) * rank if _is_int(value) else value
    try:
        values = tuple(values)
    except TypeError:
        values = None
    lowest = 0 if allow_zero else 1
    if values is None or len(values) != rank or not all(_is_int(v) and v >= lowest for v in values):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{_prefix(owner)}{name} must be a {kind} int or a tuple of {rank} {kind} ints, "
                         f"received {name}={value!r}.")
    return tuple(int(v) for v in values)


def padding_name(padding, allowed=("valid", "same"), owner=None):
    """`padding` in lower case, checked to be one of `allowed`."""
    name = padding.lower() if isinstance(padding, str) else padding
    if name not in allowed:
        choices = " or ".join(map(repr, allowed)) if len(allowed) == 2 else f"one of {list(allowed)}"
        raise ValueError(f"{_prefix(owner)}padding must be {choices}, received padding={padding!r}.")
    return name


def data_format_name(data_format, owner=None):
    """'channels_last' or 'channels_first', checked; None is the configured `image_data_format()`, as in Keras."""
    name = data_format or image_data_format()
    if name not in ("channels_last", "channels_first"):
        raise ValueError(f"{_prefix(owner)}data_format must be 'channels_last' or 'channels_first', "
                         f"received data_format={data_format!r}.")
    return name
