"""Host-side checks of what fit/evaluate/predict receive, run once per call before any step: argument
types, empty data, values that would silently poison training (NaN/inf, labels outside the classes).
Each error names the argument, what was expected and what was received.

The value checks read every in-memory array once (a min and a max, no copies); for data too large for
that, turn them off with `nnkit.training.input_checks.set_value_checks(False)`.
"""
import numbers

import numpy as np

_settings = {"values": True}


def set_value_checks(enabled):
    """Turn the per-call NaN/inf and label-range checks of in-memory data on or off (on by default)."""
    _settings["values"] = bool(enabled)


def value_checks_enabled():
    return _settings["values"]


# --- arguments --------------------------------------------------------------------------------------------
def check_integer(value, name, minimum):
    """`value` must be an int (not a bool, float or string) >= minimum; returns it as an int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Argument `{name}` must be an integer >= {minimum}; received {name}={value!r} "
                        f"({type(value).__name__}).")
    if value < minimum:
        raise ValueError(f"Argument `{name}` must be an integer >= {minimum}; received {name}={value!r}.")
    return int(value)


def check_batch_size(batch_size):
    """None (the caller's default) or a positive integer."""
    return None if batch_size is None else check_integer(batch_size, "batch_size", 1)


def check_fit_arguments(epochs, initial_epoch, validation_freq):
    check_integer(epochs, "epochs", 0)
    check_integer(initial_epoch, "initial_epoch", 0)
    check_integer(validation_freq, "validation_freq", 1)


def check_class_weight(class_weight):
    """A dict {class index (int >= 0): weight (a finite number)}."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"Argument `class_weight` must be a dict {{class index: weight}}; received "
                        f"{type(class_weight).__name__}.")
    for key, weight in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, numbers.Integral) or key < 0:
            raise TypeError(f"Argument `class_weight` must map integer class indices (>= 0) to weights; received "
                            f"the key {key!r} ({type(key).__name__}).")
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real) or not np.isfinite(weight):
            raise TypeError(f"Argument `class_weight` must map class indices to finite numbers; received "
                            f"class_weight[{key!r}]={weight!r}.")


# --- data structure and dtypes ----------------------------------------------------------------------------
def check_present(value, name, call):
    if value is None:
        raise ValueError(f"{call} needs `{name}`: array-like data with one row per sample; received {name}=None.")


def check_array_count(data, names, what):
    """A list or tuple of arrays given where the model takes one array: Keras reads it as several inputs."""
    if len(names) == 1 and isinstance(data, (list, tuple)) and len(data) > 1 \
            and all(hasattr(item, "shape") and hasattr(item, "dtype") for item in data):
        raise ValueError(f"`{what}`: the model takes 1 array ({names[0]!r}), but received a {type(data).__name__} of "
                         f"{len(data)} arrays with shapes {[tuple(item.shape) for item in data]}. Pass one array "
                         f"(np.stack or np.concatenate them if they are parts of one).")


def ragged_detail(value):
    """Where a nested list stops being rectangular: 'the rows at depth d have lengths [...]', else ''."""
    level, depth = [value], 0
    while level and all(isinstance(item, (list, tuple)) for item in level):
        lengths = sorted({len(item) for item in level})
        if len(lengths) > 1:
            return f"the sequences at depth {depth} have different lengths {lengths[:5]}"
        level, depth = [child for item in level for child in item], depth + 1
    return ""


def check_dtype(array, name):
    """Numbers only: strings, objects and complex values are refused with what was received."""
    kind = array.dtype.kind
    if kind in "USO":
        sample = array.reshape(-1)[:3].tolist()
        raise TypeError(f"{name} must hold numbers; received an array of dtype {array.dtype} (e.g. {sample}). "
                        f"Encode string labels as integer class indices first.")
    if kind == "c":
        raise TypeError(f"{name} must be real-valued; received complex values (dtype {array.dtype}).")
    if array.ndim == 0:
        raise ValueError(f"{name} must have one row per sample; received a scalar {array.item()!r}.")


def check_not_empty(size, call):
    if size == 0:
        raise ValueError(f"{call} received 0 samples: the arrays are empty, so there is nothing to compute on.")


# --- values (host arrays, once per call) ------------------------------------------------------------------
def _first_bad(array, bad):
    """(index tuple, value) of the first element of `array` where the boolean array `bad` is true."""
    index = np.unravel_index(int(np.flatnonzero(bad.reshape(-1))[0]), array.shape)
    return tuple(int(i) for i in index), array[index]


def check_finite(arrays, name):
    """Raise naming the array and the first NaN or inf in it; a min and a max per float array, no copies."""
    for position, array in enumerate(arrays):
        if not isinstance(array, np.ndarray) or array.dtype.kind != "f" or array.size == 0:
            continue
        if np.isfinite(array.min()) and np.isfinite(array.max()):
            continue
        label = name if len(arrays) == 1 else f"{name}[{position}]"
        index, value = _first_bad(array, ~np.isfinite(array))
        raise ValueError(f"`{label}` contains a non-finite value ({value}) at index {index}: training on it would "
                         f"turn the weights into NaN. Clean the data, or turn this check off with "
                         f"nnkit.training.input_checks.set_value_checks(False).")


def check_class_labels(labels, num_classes, name, ignore_class=None):
    """Integer class labels in [0, num_classes) (or equal to ignore_class), as sparse crossentropy needs."""
    if not isinstance(labels, np.ndarray) or labels.size == 0:
        return
    whole = labels == np.floor(labels) if labels.dtype.kind == "f" else np.ones(labels.shape, bool)
    in_range = whole & (labels >= 0) & (labels < num_classes)
    if ignore_class is not None:
        in_range |= labels == ignore_class
    if in_range.all():
        return
    index, value = _first_bad(labels, ~in_range)
    value = f"{value.item():.7g}" if labels.dtype.kind == "f" else value.item()
    problem = "is not an integer" if not whole[index] else "is out of range"
    raise ValueError(f"`{name}` holds sparse class labels, but the label {value} at index {index} {problem}: "
                     f"the model has {num_classes} classes, so labels must be integers in [0, {num_classes - 1}]"
                     + ("" if ignore_class is None else f" (or ignore_class={ignore_class})") + ".")
