"""Host-side data handling for fit/evaluate/predict: checking arrays against the model, validation
splits, class weights, shuffling and batching. Everything here is NumPy on the host."""
import math

import numpy as np

from nnkit.config import floatx
from nnkit.random import host_rng
from nnkit.training.input_checks import check_dtype, ragged_detail


def as_host_array(value, what, keep=None):
    """`value` as a NumPy array; float data in the default float dtype. Arrays for which keep(value)
    is true (already on the model's backend) are passed through untouched."""
    if keep is not None and keep(value):
        check_dtype(value, what)
        if value.dtype.kind == "f" and value.dtype != floatx():  # as Keras casts float inputs to floatx
            return value.astype(floatx())
        return value
    try:
        array = np.asarray(value)
    except Exception as error:
        ragged = ragged_detail(value)
        if ragged:
            raise TypeError(f"{what} must be a rectangular array, but {ragged}: pad the sequences to one length "
                             f"(as keras.utils.pad_sequences does).") from error
        raise TypeError(f"{what} must be array-like (NumPy arrays, lists of numbers), received "
                        f"{type(value).__name__}: {error}") from error
    check_dtype(array, what)
    if array.dtype.kind == "f" or array.dtype == bool:
        array = array.astype(floatx(), copy=False)
    return array


def flatten_named(data, names, what, keep=None):
    """An array, a list/tuple of arrays, or a dict keyed by `names` -> a list ordered like `names`."""
    items = named_items(data, names, what)
    return None if items is None else [as_host_array(item, f"{what} '{name}'", keep) for item, name in zip(items, names)]


def named_items(data, names, what):
    """flatten_named without the conversion: the items themselves, ordered like `names`."""
    if data is None:
        return None
    if isinstance(data, dict):
        unknown = [k for k in data if k not in names]
        missing = [n for n in names if n not in data]
        if unknown or missing:
            raise ValueError(f"{what} is a dict with keys {sorted(data)}, but the model's names are {names}.")
        items = [data[n] for n in names]
    elif isinstance(data, (list, tuple)) and len(names) > 1:
        items = list(data)
    else:
        items = [data]
    if len(items) != len(names):
        raise ValueError(f"{what}: the model expects {len(names)} array(s) {names}, but received {len(items)}.")
    return items


def check_lengths(groups):
    """All arrays in all groups must have the same number of samples; returns it."""
    counts = [len(a) for arrays in groups.values() if arrays is not None for a in arrays]
    if any(count != counts[0] for count in counts):
        sizes = {f"{label}[{i}]" if len(arrays) > 1 else label: len(a)
                 for label, arrays in groups.items() if arrays is not None for i, a in enumerate(arrays)}
        raise ValueError(f"Data cardinality is ambiguous: the arrays have different numbers of samples: {sizes}.")
    return counts[0]


def class_weights_to_sample_weights(y, class_weight):
    """Per-sample weights from a {class index: weight} dict and the labels (integers or one-hot)."""
    labels = np.argmax(y, axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y)).astype(np.int64)
    lookup = np.ones(int(max(max(class_weight), labels.max())) + 1, dtype=floatx())
    for cls, weight in class_weight.items():
        lookup[int(cls)] = weight
    return lookup[labels]


class ArrayData:
    """Inputs, targets and sample weights as flat lists of host arrays, served in (shuffled) batches."""

    def __init__(self, x, y=None, sample_weight=None, size=None):
        """`size`: the number of samples, where the caller has checked the lengths already."""
        self.x, self.y = x, y
        self.sample_weight = sample_weight
        self.size = size if size is not None else check_lengths(
            {"x": x, "y": y, "sample_weight": None if sample_weight is None else [sample_weight]})

    @property
    def arrays(self):
        """Every array, inputs first."""
        return self.x + (self.y or []) + ([] if self.sample_weight is None else [self.sample_weight])

    def first(self):
        """What the model is built and checked against: all of the data (a BatchStream gives its first batch)."""
        return self

    def split(self, fraction):
        """(first 1 - fraction, last fraction), as Keras' validation_split takes the tail before shuffling."""
        if not 0 < fraction < 1:
            raise ValueError(f"validation_split must be in (0, 1), received {fraction}.")
        cut = int(self.size * (1 - fraction))
        if cut == 0 or cut == self.size:
            raise ValueError(f"validation_split={fraction} leaves no samples on one side of {self.size} samples.")

        def part(arrays, index):
            return None if arrays is None else [a[index] for a in arrays]

        head, tail = slice(0, cut), slice(cut, None)
        sw = self.sample_weight
        return (ArrayData(part(self.x, head), part(self.y, head), None if sw is None else sw[head]),
                ArrayData(part(self.x, tail), part(self.y, tail), None if sw is None else sw[tail]))

    def steps(self, batch_size):
        return math.ceil(self.size / batch_size)

    def weighted_by_class(self, class_weight):
        """The same data with each sample's weight multiplied by its class's weight (Keras' class_weight)."""
        if self.y is None or len(self.y) != 1:
            raise ValueError("class_weight needs exactly one target array.")
        weights = class_weights_to_sample_weights(self.y[0], class_weight)
        combined = weights if self.sample_weight is None else self.sample_weight * weights
        return ArrayData(self.x, self.y, combined)

    @property
    def nbytes(self):
        return sum(a.nbytes for a in self.arrays)

    def indices(self, batch_size, shuffle=False, rng=None):
        """Yield each batch's sample indices: slices in order, or int32 positions of a fresh permutation."""
        order = (rng or host_rng()).permutation(self.size).astype(np.int32) if shuffle else None
        for start in range(0, self.size, batch_size):
            yield slice(start, start + batch_size) if order is None else order[start:start + batch_size]

    def index_rows(self, batch_size, shuffle=False, rng=None):
        """The same batches as indices(), as int32 matrices with one batch per row: one matrix of the full
        batches, then a one-row matrix of the last, smaller batch if there is one."""
        order = (rng or host_rng()).permutation(self.size) if shuffle else np.arange(self.size)
        order = order.astype(np.int32)
        full = self.size - self.size % batch_size
        matrices = [order[:full].reshape(-1, batch_size)] if full else []
        return matrices + ([order[full:][None]] if full < self.size else [])

    def batch(self, index):
        """(x, y, sample_weight) host arrays of the samples at `index` (a slice or positions)."""
        return ([a[index] for a in self.x],
                None if self.y is None else [a[index] for a in self.y],
                None if self.sample_weight is None else self.sample_weight[index])

    def batches(self, batch_size, shuffle=False, rng=None):
        """Yield (x, y, sample_weight) batches of host arrays; a fresh order each call when shuffling."""
        for index in self.indices(batch_size, shuffle, rng):
            yield self.batch(index)
