"""Average: elementwise mean of a list of tensors."""
import numpy as np
import pytest

from gradcheck import check_forward, check_gradients, to_host
from nnkit.layers import Average, Input, average, deserialize, serialize

RNG = np.random.default_rng(4)
A, B, C = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))


def test_forward_and_gradients(backend, float64):
    layer = Average()
    check_forward(lambda a, b, c: layer([a, b, c]), lambda a, b, c: (a + b + c) / 3, A, B, C)
    check_gradients(lambda a, b, c: layer([a, b, c]), A, B, C)


def test_float32_stays_float32(backend):
    out = Average()([backend.asarray(A.astype("float32")), backend.asarray(B.astype("float32"))])
    assert np.dtype(out.dtype) == np.float32


def test_symbolic_and_eager_shapes(backend):
    assert Average()([Input((3,)), Input((3,))]).shape == (None, 3)
    assert tuple(Average()([backend.asarray(A), backend.asarray(B)]).shape) == (4, 3)


def test_incompatible_shapes():
    with pytest.raises(ValueError, match=r"'mean'.*\(None, 3\).*\(None, 5\)"):
        Average(name="mean")([Input((3,)), Input((5,))])


def test_config_round_trip():
    layer = Average(name="mean")
    clone = deserialize(serialize(layer))
    assert type(clone) is Average and clone.get_config() == layer.get_config()


def test_functional_form(backend, float64):
    assert average([Input((3,)), Input((3,))]).shape == (None, 3)
    np.testing.assert_allclose(to_host(average([backend.asarray(A), backend.asarray(B)])), (A + B) / 2)
