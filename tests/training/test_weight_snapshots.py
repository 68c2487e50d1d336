"""What the public accessors hand out is a snapshot: later training steps (in place on NumPy, donated
buffers on JAX) never change it and never invalidate it."""
import numpy as np
import pytest

import nnkit
from nnkit import layers
from nnkit.backends import available_backends

X = np.random.default_rng(1).normal(size=(16, 3)).astype("float32")
Y = np.random.default_rng(2).normal(size=(16, 2)).astype("float32")


@pytest.mark.parametrize("backend_name", available_backends())
def test_accessors_return_values_that_later_steps_never_change(backend_name):
    model = nnkit.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(nnkit.optimizers.Adam(0.1), "mse", backend=backend_name)
    model.train_on_batch(X, Y)  # the fused in-place update (NumPy) and buffer donation (JAX) are now in use
    kernel = model.layers[0].kernel
    snapshots = {"get_weights()": model.get_weights()[0], ".numpy()": kernel.numpy(),
                 "np.asarray(variable)": np.asarray(kernel), "np.array(variable)": np.array(kernel)}
    copies = {name: value.copy() for name, value in snapshots.items()}
    model.train_on_batch(X, Y)
    model.train_on_batch(X, Y)
    assert not np.array_equal(kernel.numpy(), copies[".numpy()"])  # the weights did move
    for name, value in snapshots.items():
        np.testing.assert_array_equal(value, copies[name], err_msg=name)


def test_a_variable_never_hands_out_its_live_buffer_to_numpy():
    kernel = nnkit.layers.Dense(2)
    kernel.build((None, 3))
    variable = kernel.kernel
    assert not np.shares_memory(np.asarray(variable), variable.value)
    assert np.asarray(variable, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="without a copy"):
        np.asarray(variable, copy=False)
