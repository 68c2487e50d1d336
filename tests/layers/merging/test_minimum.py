"""Minimum: elementwise minimum of a list of tensors (inputs without ties, away from the kink)."""
import numpy as np
import pytest

from gradcheck import check_forward, check_gradients, to_host
from nnkit.layers import Input, Minimum, deserialize, minimum, serialize

RNG = np.random.default_rng(5)
A, B, C = RNG.permutation(36).reshape(3, 4, 3) / 7.0  # distinct values: no ties between the inputs


def test_forward_and_gradients(backend, float64):
    layer = Minimum()
    check_forward(lambda a, b, c: layer([a, b, c]), lambda a, b, c: np.minimum(np.minimum(a, b), c), A, B, C)
    check_gradients(lambda a, b, c: layer([a, b, c]), A, B, C)


def test_symbolic_and_eager_shapes(backend):
    assert Minimum()([Input((1, 3)), Input((2, 3))]).shape == (None, 2, 3)
    assert tuple(Minimum()([backend.asarray(A), backend.asarray(B)]).shape) == (4, 3)


def test_incompatible_shapes():
    with pytest.raises(ValueError, match=r"'ext'.*\(None, 3\).*\(None, 2\)"):
        Minimum(name="ext")([Input((3,)), Input((2,))])


def test_config_round_trip():
    layer = Minimum(name="ext")
    clone = deserialize(serialize(layer))
    assert type(clone) is Minimum and clone.get_config() == layer.get_config()


def test_functional_form(backend, float64):
    assert minimum([Input((3,)), Input((3,))]).shape == (None, 3)
    np.testing.assert_allclose(to_host(minimum([backend.asarray(A), backend.asarray(B)])), np.minimum(A, B))
