"""set_distribution / distribution: the default compile() uses."""
import numpy as np
import pytest

import nnkit
from nnkit.distribution import DataParallel, distribution, set_distribution


def test_set_and_read_back():
    assert distribution() is None
    chosen = DataParallel()
    set_distribution(chosen)
    try:
        assert distribution() is chosen
    finally:
        set_distribution(None)
    assert distribution() is None


def test_only_distributions_can_be_set():
    with pytest.raises(ValueError, match="takes a DataParallel, a ModelParallel or None, received 'gpu'"):
        set_distribution("gpu")


def test_compile_without_a_distribution_trains_on_one_process():
    model = nnkit.Sequential([nnkit.layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse", backend="numpy")
    model.fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0)
    replicas = model._trainer.replicas
    assert (replicas.count, replicas.process_count, replicas.is_chief) == (1, 1, True)
