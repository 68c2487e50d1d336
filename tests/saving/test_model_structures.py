"""Sequential, functional (several inputs, dict outputs) and nested models keep their structure and weights
through files, with Keras 3's weight paths; compile settings come back by name, custom ones by registered name."""
import h5py
import numpy as np
import pytest

import nnkit
from nnkit import layers, ops
from nnkit.saving import register_serializable

RNG = np.random.default_rng(6)
A = RNG.normal(size=(4, 3)).astype(np.float32)
B = RNG.normal(size=(4, 2)).astype(np.float32)


def _nested():
    inner = nnkit.Sequential([nnkit.Input((3,)), layers.Dense(4, name="inner_dense"), layers.BatchNormalization()],
                             name="inner")
    a, b = nnkit.Input((3,), name="a"), nnkit.Input((2,), name="b")
    joined = layers.Concatenate()([inner(a), layers.Dense(4)(b)])
    return nnkit.Model([a, b], {"score": layers.Dense(1, name="score")(joined), "code": joined}, name="outer")


def _h5_paths(path):
    found = []
    with h5py.File(path) as h5:
        h5.visititems(lambda name, item: found.append(name) if isinstance(item, h5py.Dataset) else None)
    return sorted(found)


def test_nested_functional_model_with_dict_outputs(tmp_path):
    model = _nested()
    model.set_weights([w + 0.1 for w in model.get_weights()])
    expected = model.predict([A, B], verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = nnkit.models.load_model(tmp_path / "m.keras")
    got = loaded.predict([A, B], verbose=0)
    assert set(got) == {"score", "code"}
    for key in got:
        np.testing.assert_array_equal(got[key], expected[key])
    assert isinstance(loaded.get_layer("inner"), nnkit.Sequential)
    model.save_weights(tmp_path / "w.weights.h5")
    paths = _h5_paths(tmp_path / "w.weights.h5")
    assert "layers/sequential/layers/batch_normalization/vars/3" in paths  # nested: Keras' container names
    assert "layers/sequential/layers/dense/vars/0" in paths and "layers/dense_1/vars/1" in paths


class TwoBranches(nnkit.Model):
    """A subclassed model: its weights are found through its attributes, as Keras finds them."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = layers.Dense(3)
        self.second = layers.Dense(2)

    def call(self, x):
        return self.second(self.first(x))


def test_subclassed_model_weights_by_attribute_name(tmp_path):
    model = TwoBranches()
    model(A)
    model.save_weights(tmp_path / "w.weights.h5")
    # As Keras 3 walks it: sorted attributes, so `second` is reached first through `layers` (checked with Keras).
    assert _h5_paths(tmp_path / "w.weights.h5") == ["first/vars/0", "first/vars/1", "layers/dense_1/vars/0",
                                                    "layers/dense_1/vars/1"]
    clone = TwoBranches()
    clone(A)
    clone.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(clone.predict(A, verbose=0), model.predict(A, verbose=0))


@register_serializable(package="tests")
def doubled_mse(y_true, y_pred):
    return ops.multiply(ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1), 2.0)


def test_compile_settings_round_trip_by_name(tmp_path):
    model = nnkit.Sequential([nnkit.Input((3,)), layers.Dense(2)])
    model.compile(optimizer=nnkit.optimizers.RMSprop(0.005, rho=0.8), loss=doubled_mse,
                  metrics=["mae", nnkit.metrics.RootMeanSquaredError(name="rmse")])
    model.fit(A, B, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = nnkit.models.load_model(tmp_path / "m.keras")
    optimizer = loaded.optimizer
    assert isinstance(optimizer, nnkit.optimizers.RMSprop) and optimizer.rho == 0.8
    assert optimizer.learning_rate == np.float32(0.005)
    assert loaded._trainer.loss_spec is doubled_mse
    assert loaded.evaluate(A, B, verbose=0, return_dict=True) == model.evaluate(A, B, verbose=0, return_dict=True)


def test_a_subclassed_model_file_says_to_build_it_in_code(tmp_path):
    model = TwoBranches(name="branches")
    model(A)
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match=r"'branches' \(TwoBranches\) is not built by its config alone.*load_weights"):
        nnkit.models.load_model(tmp_path / "m.keras", custom_objects={"TwoBranches": TwoBranches})
