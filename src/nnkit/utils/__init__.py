"""nnkit.utils: the Keras utilities users reach for (seeding, one-hot labels, clearing names, PyDataset,
plots of a history and of a model)."""
import numpy as np

from nnkit.naming import reset_names
from nnkit.random import set_random_seed
from nnkit.training.data_adapters.batch_structure import pack_x_y_sample_weight, unpack_x_y_sample_weight
from nnkit.utils.plot_history import plot_history
from nnkit.utils.plot_model import model_to_dot, plot_model
from nnkit.utils.py_dataset import PyDataset

Sequence = PyDataset  # Keras 2's name for it, kept by Keras 3


def to_categorical(y, num_classes=None, dtype="float32"):
    """Integer class labels -> one-hot rows."""
    y = np.asarray(y, dtype=np.int64)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y.reshape(y.shape[:-1])
    num_classes = int(y.max()) + 1 if num_classes is None else num_classes
    return np.eye(num_classes, dtype=dtype)[y]


def clear_session():
    """Reset layer-name counters, so new layers are named 'dense', 'dense_1', ... again."""
    reset_names()


__all__ = ["set_random_seed", "to_categorical", "clear_session", "PyDataset", "Sequence", "plot_history", "plot_model",
           "model_to_dot", "pack_x_y_sample_weight", "unpack_x_y_sample_weight"]
