"""Damaged or mismatched files are clear errors naming what is wrong and where, and leave the model as it was."""
import json
import zipfile

import h5py
import numpy as np
import pytest

import nnkit
from nnkit import layers


def _model(units=3, name="model"):
    nnkit.set_random_seed(1)
    return nnkit.Sequential([nnkit.Input((4,)), layers.Dense(units, name="hidden"), layers.Dense(2, name="out")],
                            name=name)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corrupt")
    model = _model()
    model.save_weights(folder / "w.weights.h5")
    model.save(folder / "m.keras")
    return folder


def _unchanged(model, call):
    before = model.get_weights()
    call()
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_a_file_that_is_not_hdf5(tmp_path):
    path = tmp_path / "w.weights.h5"
    path.write_bytes(b"this is not an HDF5 file")
    model = _model()
    with pytest.raises(ValueError, match="not a readable HDF5 file"):
        _unchanged(model, lambda: model.load_weights(path))


def test_a_truncated_weights_file(saved, tmp_path):
    data = (saved / "w.weights.h5").read_bytes()
    path = tmp_path / "cut.weights.h5"
    path.write_bytes(data[: len(data) // 2])
    model = _model()
    with pytest.raises(ValueError, match="cut.weights.h5"):
        model.load_weights(path)


def test_wrong_shapes_name_layer_weight_and_both_shapes(saved):
    model = _model(units=5)
    with pytest.raises(ValueError, match=r"layer 'hidden'.*weight 'kernel' has shape \(4, 5\) in the model, but "
                                         r"shape \(4, 3\) in the file"):
        _unchanged(model, lambda: model.load_weights(saved / "w.weights.h5"))


def test_skip_mismatch_loads_the_layers_that_fit(saved):
    model = nnkit.Sequential([nnkit.Input((4,)), layers.Dense(3, name="hidden"), layers.Dense(5, name="out")])
    out_before = model.get_layer("out").get_weights()
    with pytest.warns(UserWarning, match=r"Skipping loading weights for layer 'out'.*\(3, 5\) in the model"):
        model.load_weights(saved / "w.weights.h5", skip_mismatch=True)
    for a, b in zip(model.get_layer("hidden").get_weights(), _model().get_layer("hidden").get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.get_layer("out").get_weights(), out_before):
        np.testing.assert_array_equal(a, b)


def test_wrong_layer_count_and_missing_group(saved, tmp_path):
    bigger = nnkit.Sequential([nnkit.Input((4,)), layers.Dense(3), layers.Dense(2), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"layer 'dense_\d+' \(file path 'layers/dense_2'\): the file has no group"):
        _unchanged(bigger, lambda: bigger.load_weights(saved / "w.weights.h5"))
    path = tmp_path / "missing.weights.h5"
    path.write_bytes((saved / "w.weights.h5").read_bytes())
    with h5py.File(path, "a") as h5:
        del h5["layers/dense_1/vars/1"]
    model = _model()
    with pytest.raises(ValueError, match=r"layer 'out'.*expected 2 weights \['kernel', 'bias'\], but the file holds 1"):
        _unchanged(model, lambda: model.load_weights(path))


def test_a_truncated_keras_archive(saved, tmp_path):
    data = (saved / "m.keras").read_bytes()
    path = tmp_path / "cut.keras"
    path.write_bytes(data[: len(data) - 200])
    with pytest.raises(ValueError, match="cut.keras"):
        nnkit.models.load_model(path)


def test_an_unknown_layer_class(saved, tmp_path):
    with zipfile.ZipFile(saved / "m.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["class_name"] = "Dense3000"
    members["config.json"] = json.dumps(config).encode()
    path = tmp_path / "unknown.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match=r"Unknown layer class 'Dense3000'.*custom_objects"):
        nnkit.models.load_model(path)


def test_loading_into_an_unbuilt_model_and_missing_files(saved, tmp_path):
    with pytest.raises(ValueError, match="not built yet"):
        nnkit.Sequential([layers.Dense(2)]).load_weights(saved / "w.weights.h5")
    with pytest.raises(FileNotFoundError, match="nothing.keras"):
        nnkit.models.load_model(tmp_path / "nothing.keras")
    with pytest.raises(ValueError, match=r"must end in '.keras'"):
        _model().save(tmp_path / "model.pickle")


def test_another_optimizer_than_the_files_keeps_its_state_and_takes_the_weights(tmp_path):
    x, y = np.ones((4, 4), np.float32), np.ones((4, 2), np.float32)
    source = _model()
    source.compile(optimizer="adam", loss="mse")
    source.fit(x, y, epochs=1, verbose=0)
    source.save_weights(tmp_path / "adam.weights.h5")
    target = _model()
    target.compile(optimizer=nnkit.optimizers.SGD(momentum=0.5), loss="mse")
    with pytest.warns(UserWarning, match=r"Skipping the optimizer state.*holds 10 optimizer variables, but optimizer "
                                         r"'SGD' of this model has 6"):
        target.load_weights(tmp_path / "adam.weights.h5")
    assert target.optimizer.state is None
    for a, b in zip(target.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(a, b)
