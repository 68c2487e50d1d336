"""UnitNormalization: x / ||x||_2 over one or several axes against a float64 NumPy reference, an all-zero sample
staying zero, gradients against finite differences, configs, shapes and errors."""
import json

import numpy as np
import pytest

from gradcheck import backend_params, check_float32, check_forward, check_gradients
from nnkit import layers
from nnkit.layers import UnitNormalization

RNG = np.random.default_rng(17)

CASES = {
    "2d": (RNG.standard_normal((3, 4)), -1),
    "3d-two-axes": (RNG.standard_normal((2, 3, 2)), [1, 2]),
    "4d-axis-1": (RNG.standard_normal((2, 3, 2, 2)), 1),
}


@pytest.mark.parametrize("backend, case", backend_params(CASES, lambda name, _: name == "3d-two-axes"),
                         indirect=["backend"])
def test_output_and_gradient(backend, float64, case):
    x, axis = case
    layer = UnitNormalization(axis=axis)
    axes = tuple(np.atleast_1d(axis))
    check_forward(lambda t: layer(t), lambda t: t / np.sqrt((t ** 2).sum(axis=axes, keepdims=True)), x)
    check_gradients(lambda t: layer(t), x, rtol=1e-6, jit=True)


def test_all_zero_sample_stays_zero(backend):
    x = np.array([[0.0, 0.0], [3.0, 4.0]], np.float32)
    out = np.asarray(backend.to_numpy(UnitNormalization()(backend.asarray(x))))
    np.testing.assert_allclose(out, [[0.0, 0.0], [0.6, 0.8]], rtol=1e-6)
    check_float32(lambda t: UnitNormalization()(t), CASES["2d"][0])


def test_config_round_trip_shape_and_errors():
    layer = UnitNormalization(axis=[1, 2], name="unit_cfg")
    config = json.loads(json.dumps(layer.get_config()))
    assert config["axis"] == [1, 2]
    clone = layers.deserialize(layers.serialize(UnitNormalization.from_config(config)))
    assert isinstance(clone, UnitNormalization) and clone.get_config() == layer.get_config()
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)
    assert layer.supports_masking and layer.count_params() == 0
    with pytest.raises(ValueError, match=r"UnitNormalization 'unit_cfg': axis 2 is out of bounds.*\(2, 3\)"):
        layer(np.ones((2, 3), np.float32))
    with pytest.raises(TypeError, match="axis must be an int or a list of ints"):
        UnitNormalization(axis=None)
