"""Saves are atomic: a process killed (SIGKILL) at any moment during a save leaves the previous file intact
and loadable. A child process saves two alternating versions in a loop and is killed at random moments (a
fresh interpreter, not a fork: forking a process whose JAX threads hold locks can deadlock the child)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import nnkit
from nnkit.saving.atomic import atomic_open

# The child: the model of _versions(), overwriting the file with the two versions in turn until killed;
# it prints one line once the first save has finished, so the kill lands among saves, not during start-up.
SAVE_FOREVER = """
import sys
import nnkit
from nnkit import layers
path = sys.argv[1]
nnkit.set_random_seed(0)
model = nnkit.Sequential([nnkit.Input((16,)), layers.Dense(64), layers.Dense(64), layers.Dense(4)])
first = model.get_weights()
versions = [[w + 1.0 for w in first], first]
save = model.save if path.endswith(".keras") else model.save_weights
announced = False
while True:
    for weights in versions:
        model.set_weights(weights)
        save(path)
        if not announced:
            print("saving", flush=True)
            announced = True
"""


def _versions():
    nnkit.set_random_seed(0)
    model = nnkit.Sequential([nnkit.Input((16,)), nnkit.layers.Dense(64), nnkit.layers.Dense(64),
                              nnkit.layers.Dense(4)])
    first = model.get_weights()
    return model, first, [w + 1.0 for w in first]


@pytest.mark.parametrize("name", ["m.keras", "w.weights.h5"])
def test_killing_a_saving_process_never_damages_the_file(name, tmp_path):
    model, first, second = _versions()
    path = str(tmp_path / name)
    model.save(path) if name.endswith(".keras") else model.save_weights(path)
    rng = np.random.default_rng(11)
    for _ in range(3):
        child = subprocess.Popen([sys.executable, "-c", SAVE_FOREVER, path], stdout=subprocess.PIPE,
                                 env={**os.environ, "JAX_PLATFORMS": "cpu"})
        assert child.stdout.readline().strip() == b"saving"
        try:
            child.wait(timeout=rng.uniform(0.02, 0.2))
        except subprocess.TimeoutExpired:
            child.kill()
        child.wait()
        assert child.returncode != 0, "the child must have been killed while saving"
        if name.endswith(".keras"):
            loaded = nnkit.models.load_model(path).get_weights()
        else:
            probe = nnkit.models.model_from_json(model.to_json())
            probe.load_weights(path)
            loaded = probe.get_weights()
        assert any(all(np.array_equal(a, b) for a, b in zip(loaded, version)) for version in (first, second))


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_open(path, "w") as handle:
            handle.write("half")
            raise RuntimeError("interrupted")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["notes.json"]
