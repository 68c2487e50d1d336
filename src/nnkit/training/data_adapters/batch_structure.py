"""What one batch from a generator, PyDataset or DataLoader may be: `x`, `(x,)`, `(x, y)` or
`(x, y, sample_weight)`, as Keras 3 unpacks it (a list is read as a tuple; a dict or an array is `x`)."""


def unpack_batch(batch, source):
    """(x, y, sample_weight) of one batch; `source` names where it came from in errors."""
    if batch is None:
        raise ValueError(f"{source} yielded None instead of a batch: yield x, (x, y) or (x, y, sample_weight).")
    parts = _x_y_sample_weight(batch)
    if parts is None:
        raise ValueError(f"{source} yielded a tuple of {len(batch)} items; a batch is x, (x, y) or "
                         f"(x, y, sample_weight). Put several inputs in a list or dict: ([x1, x2], y).")
    return parts


def unpack_tuple_data(x, y, sample_weight, call):
    """fit((x, y)) and evaluate((x, y, sample_weight)): the data as one tuple, where `y` is not given."""
    if y is None and sample_weight is None and isinstance(x, tuple) and len(x) in (2, 3):
        return unpack_batch(x, call)
    return x, y, sample_weight


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The `data` a custom train_step receives (Keras 3's packing): `x` alone when there is no y (a list or
    tuple x as `(x,)`), else `(x, y)` or `(x, y, sample_weight)`."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """(x, y, sample_weight) of a custom step's `data`, with None for what it lacks (Keras 3's utility)."""
    parts = _x_y_sample_weight(data)
    if parts is None:
        raise ValueError(f"unpack_x_y_sample_weight: data must be x, (x,), (x, y) or (x, y, sample_weight); "
                         f"received a tuple of {len(data)} items.")
    return parts


def _x_y_sample_weight(data):
    """(x, y, sample_weight) of a batch (a list read as a tuple; anything else is x alone), or None for a tuple of
    more than three items."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if not 1 <= len(data) <= 3:
        return None
    return data + (None,) * (3 - len(data))
