"""A PyTorch DataLoader (or any torch IterableDataset loader): iterated afresh each epoch, its tensors
copied to NumPy. torch is imported only if the caller already has it loaded."""
import itertools
import sys

import numpy as np

from nnkit.tree import map_structure


def is_torch_data_loader(data):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(data, torch.utils.data.DataLoader)


def _to_numpy(value):
    """A torch tensor as a NumPy array; anything else as it is."""
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
            yield map_structure(_to_numpy, batch)  # torch tensors anywhere in tuples, lists and dicts

    def on_epoch_end(self):
        """The DataLoader reshuffles itself each epoch."""
