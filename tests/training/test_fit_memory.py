"""Resident memory stays flat over many fit() calls: nothing accumulates per call (histories, traces,
compiled steps, uploaded data)."""
import gc
import os

import numpy as np
import pytest

import nnkit
from nnkit import layers
from nnkit.backends import available_backends

X = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
Y = np.random.default_rng(1).integers(0, 2, (64, 1)).astype("float32")


def _resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads Linux's /proc")
@pytest.mark.parametrize("backend_name", available_backends())
def test_resident_memory_is_flat_over_100_fits(backend_name):
    model = nnkit.Sequential([layers.Input((8,)), layers.Dense(16, activation="relu"),
                              layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"], backend=backend_name)

    def fits(count):
        for _ in range(count):
            model.fit(X, Y, batch_size=32, epochs=1, verbose=0)
        gc.collect()
        return _resident_bytes()

    settled = fits(10)  # compiles, allocator pools and caches reach their size
    grown = fits(100) - settled
    assert grown < 8 * 2**20, f"resident memory grew by {grown / 2**20:.1f} MiB over 100 fit() calls"
