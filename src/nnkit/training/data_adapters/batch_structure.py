"""What one batch from a generator, PyDataset or DataLoader may be: `x`, `(x,)`, `(x, y)` or
`(x, y, sample_weight)`, as Keras 3 unpacks it (a list is read as a tuple; a dict or an array is `x`)."""


def unpack_batch(batch, source):
    """(x, y, sample_weight) of one batch; `source` names where it came from in errors."""
    if batch is None:
        raise ValueError(f"{source} yielded None instead of a batch: yield x, (x, y) or (x, y, sample_weight).")
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple):
        return batch, None, None
    if not 1 <= len(batch) <= 3:
        raise ValueError(f"{source} yielded a tuple of {len(batch)} items; a batch is x, (x, y) or "
                         f"(x, y, sample_weight). Put several inputs in a list or dict: ([x1, x2], y).")
    return batch + (None,) * (3 - len(batch))


def unpack_tuple_data(x, y, sample_weight, call):
    """fit((x, y)) and evaluate((x, y, sample_weight)): the data as one tuple, where `y` is not given."""
    if y is None and sample_weight is None and isinstance(x, tuple) and len(x) in (2, 3):
        return unpack_batch(x, call)
    return x, y, sample_weight
