"""Keras 2's `.h5` weights layout, built here with h5py exactly as tf.keras 2 wrote it, loads into the
equivalent nnkit model by topological order or by layer name, with skip_mismatch for layers that differ."""
import h5py
import numpy as np
import pytest

import nnkit
from nnkit import layers

RNG = np.random.default_rng(0)
# tf.keras 2: model.save_weights('w.h5') for Dense(3) -> BatchNormalization -> Dense(2) on 4 inputs.
FILE_LAYERS = {
    "dense": {"dense/kernel:0": RNG.normal(size=(4, 3)), "dense/bias:0": RNG.normal(size=3)},
    "batch_normalization": {
        "batch_normalization/gamma:0": RNG.uniform(0.5, 1.5, 3), "batch_normalization/beta:0": RNG.normal(size=3),
        "batch_normalization/moving_mean:0": RNG.normal(size=3),
        "batch_normalization/moving_variance:0": RNG.uniform(0.5, 1.5, 3)},
    "dense_1": {"dense_1/kernel:0": RNG.normal(size=(3, 2)), "dense_1/bias:0": RNG.normal(size=2)},
}


@pytest.fixture(scope="module")
def keras2_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("legacy") / "weights.h5"
    with h5py.File(path, "w") as h5:
        h5.attrs["layer_names"] = np.array([b"input_1", b"dense", b"batch_normalization", b"dense_1"])
        h5.attrs["backend"] = b"tensorflow"
        h5.attrs["keras_version"] = b"2.15.0"
        h5.create_group("input_1").attrs["weight_names"] = np.array([], dtype="S")
        for layer_name, weights in FILE_LAYERS.items():
            group = h5.create_group(layer_name)
            group.attrs["weight_names"] = np.array([name.encode() for name in weights])
            for name, value in weights.items():
                group.create_dataset(name, data=value.astype(np.float32))
    return path


def _model(names=("first", "norm", "last"), last_units=2):
    return nnkit.Sequential([nnkit.Input((4,)), layers.Dense(3, name=names[0]),
                             layers.BatchNormalization(name=names[1]), layers.Dense(last_units, name=names[2])])


def _expected():
    return [v.astype(np.float32) for weights in FILE_LAYERS.values() for v in weights.values()]


def test_loads_by_topological_order(keras2_file):
    model = _model()
    model.load_weights(keras2_file)
    for loaded, expected in zip(model.get_weights(), _expected()):
        np.testing.assert_array_equal(loaded, expected)


def test_loads_by_name_and_skips_mismatches(keras2_file):
    model = _model(names=("dense", "unrelated", "dense_1"), last_units=5)
    unrelated = model.get_layer("unrelated").get_weights()
    with pytest.warns(UserWarning, match=r"layer 'dense_1'.*shape \(3, 5\) in the model, but shape \(3, 2\)"):
        model.load_weights(keras2_file, by_name=True, skip_mismatch=True)
    for loaded, expected in zip(model.get_layer("dense").get_weights(), _expected()[:2]):
        np.testing.assert_array_equal(loaded, expected)
    for loaded, before in zip(model.get_layer("unrelated").get_weights(), unrelated):
        np.testing.assert_array_equal(loaded, before)


def test_layer_count_mismatch_is_a_clear_error(keras2_file):
    model = nnkit.Sequential([nnkit.Input((4,)), layers.Dense(3), layers.Dense(2)])
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"weights for 3 layers \['dense', 'batch_normalization', 'dense_1'\], but "
                                         r"the model has 2 layers with weights"):
        model.load_weights(keras2_file)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_nnkit_writes_the_keras_2_layout_for_plain_h5(tmp_path):
    model = _model()
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5") as h5:
        assert [n.decode() for n in h5.attrs["layer_names"]] == ["first", "norm", "last"]
        assert [n.decode() for n in h5["norm"].attrs["weight_names"]] == [
            "norm/gamma:0", "norm/beta:0", "norm/moving_mean:0", "norm/moving_variance:0"]
    clone = _model(names=("a", "b", "c"))
    clone.load_weights(tmp_path / "w.h5")
    for a, b in zip(clone.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
