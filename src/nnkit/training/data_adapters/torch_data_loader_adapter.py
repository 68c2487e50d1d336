"""A PyTorch DataLoader (or any torch IterableDataset loader): iterated afresh each epoch, its tensors
copied to NumPy. torch is imported only if the caller already has it loaded."""
import itertools
import sys

import numpy as np


def is_torch_data_loader(data):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(data, torch.utils.data.DataLoader)


def to_numpy_tree(value):
    """Torch tensors anywhere in tuples, lists and dicts -> NumPy arrays."""
    if isinstance(value, (tuple, list)):
        return type(value)(to_numpy_tree(item) for item in value)
    if isinstance(value, dict):
        return {key: to_numpy_tree(item) for key, item in value.items()}
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return np.asarray(value.detach().cpu().numpy())
    return value


class TorchDataLoaderAdapter:
    def __init__(self, loader, steps=None):
        self.loader = loader
        self.steps = steps
        self.name = "The DataLoader given as data"

    @property
    def num_batches(self):
        if self.steps is not None:
            return self.steps
        try:
            return len(self.loader)
        except TypeError:  # an IterableDataset without __len__
            return None

    def epoch_batches(self):
        for batch in itertools.islice(iter(self.loader), self.steps):
            yield to_numpy_tree(batch)

    def on_epoch_end(self):
        """The DataLoader reshuffles itself each epoch."""
