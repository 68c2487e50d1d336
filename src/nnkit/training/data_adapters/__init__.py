"""Data adapters (Keras 3's): every form fit/evaluate/predict take besides in-memory arrays, served as a
stream of raw batches. In-memory arrays (NumPy, lists, pandas) keep the ArrayData path of
training/data_adapter.py, with its device-resident fast path."""
import collections.abc

from nnkit.training.data_adapters.batch_structure import unpack_batch, unpack_tuple_data
from nnkit.training.data_adapters.generator_data_adapter import GeneratorDataAdapter
from nnkit.training.data_adapters.py_dataset_adapter import PyDatasetAdapter
from nnkit.training.data_adapters.torch_data_loader_adapter import TorchDataLoaderAdapter, is_torch_data_loader
from nnkit.utils.py_dataset import PyDataset


def is_stream(data):
    """Whether `data` is served batch by batch (generator, iterator, PyDataset, DataLoader), not arrays."""
    if isinstance(data, PyDataset) or is_torch_data_loader(data):
        return True
    if isinstance(data, (list, tuple, dict, str, bytes)) or hasattr(data, "__array__") or hasattr(data, "shape"):
        return False
    return isinstance(data, (collections.abc.Iterator, collections.abc.Generator))


def get_data_adapter(data, y, sample_weight, steps, shuffle, rng, call):
    """The adapter for streamed `data`; y and sample_weight must come inside its batches, as in Keras."""
    if y is not None or sample_weight is not None:
        raise ValueError(f"{call}: when x is a {type(data).__name__}, it must yield the targets and sample weights "
                         f"in its batches, (x, y) or (x, y, sample_weight); do not pass y or sample_weight too.")
    if isinstance(data, PyDataset):
        return PyDatasetAdapter(data, steps, shuffle, rng)
    if is_torch_data_loader(data):
        return TorchDataLoaderAdapter(data, steps)
    return GeneratorDataAdapter(data, steps)


__all__ = ["get_data_adapter", "is_stream", "unpack_batch", "unpack_tuple_data"]
