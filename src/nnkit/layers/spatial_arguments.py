"""Checks of the arguments that layers over spatial axes share (pooling, padding, cropping, upsampling):
per-axis int tuples, padding modes and data formats, with errors that name the layer (Keras' rules)."""
import numbers

from nnkit.config import image_data_format


def layer_label(layer):
    """How error messages name a layer: its class and its name."""
    return f"{type(layer).__name__} '{layer.name}'"


def int_tuple(value, n, name, layer, allow_zero=False):
    """`value` (an int, or n ints) as a tuple of n ints, each positive (or non-negative with allow_zero)."""
    values = (value,) * n if _is_int(value) else value
    try:
        values = tuple(values)
    except TypeError:
        values = None
    lowest = 0 if allow_zero else 1
    if values is None or len(values) != n or not all(
            _is_int(v) and v >= lowest for v in values):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{layer_label(layer)}: {name} must be a {kind} int or a tuple of {n} {kind} ints, "
                         f"received {name}={value!r}.")
    return tuple(int(v) for v in values)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def padding_mode(padding, layer):
    """'valid' or 'same' (any case)."""
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in ("valid", "same"):
        raise ValueError(f"{layer_label(layer)}: padding must be 'valid' or 'same', received padding={padding!r}.")
    return mode


def data_format(value, layer):
    """'channels_last' or 'channels_first'; None means nnkit.config.image_data_format() (channels_last)."""
    value = value or image_data_format()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer_label(layer)}: data_format must be 'channels_last' or 'channels_first', "
                         f"received data_format={value!r}.")
    return value


def spatial_axes(rank, data_format):
    """The positions of the `rank` spatial axes in a (batch, ..., channels) or (batch, channels, ...) shape."""
    return tuple(range(1, rank + 1)) if data_format == "channels_last" else tuple(range(2, rank + 2))
