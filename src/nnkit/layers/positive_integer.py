"""positive_integer: the check of a layer's size argument (units, input_dim, ...), with an error naming the layer."""
import numbers


def positive_integer(owner, argument, value):
    """`value` as an int; a ValueError naming `owner` (as "Dense 'dense_1'") unless it is an integer above 0."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{owner}: {argument} must be a positive integer, received {value!r}.")
    return int(value)
