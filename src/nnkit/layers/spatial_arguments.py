"""Checks of the arguments that layers over spatial axes share (pooling, padding, cropping, upsampling):
per-axis int tuples and padding modes (nnkit.ops.spatial_arguments' rules, which the ops use too) and data
formats, with errors that name the layer (Keras' rules)."""
from nnkit.config import image_data_format
from nnkit.ops.spatial_arguments import padding_name, per_axis


def layer_label(layer):
    """How error messages name a layer: its class and its name."""
    return f"{type(layer).__name__} '{layer.name}'"


def int_tuple(value, n, name, layer, allow_zero=False):
    """`value` (an int, or n ints) as a tuple of n ints, each positive (or non-negative with allow_zero)."""
    try:
        return per_axis(value, n, name, allow_zero=allow_zero)
    except ValueError as error:  # named only now: a layer being constructed may not have its name yet
        raise ValueError(f"{layer_label(layer)}: {error}") from None


def padding_mode(padding, layer):
    """'valid' or 'same' (any case)."""
    try:
        return padding_name(padding)
    except ValueError as error:
        raise ValueError(f"{layer_label(layer)}: {error}") from None


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
