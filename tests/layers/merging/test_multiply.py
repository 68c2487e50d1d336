"""Multiply: elementwise product of a list of tensors."""
import numpy as np
import pytest

from gradcheck import check_forward, check_gradients, to_host
from nnkit.layers import Input, Multiply, deserialize, multiply, serialize

RNG = np.random.default_rng(3)
A, B, C = RNG.standard_normal((4, 2, 3)), RNG.standard_normal((4, 1, 3)), RNG.standard_normal((4, 3))


def test_forward_and_gradients(backend, float64):
    layer = Multiply()
    check_forward(lambda a, b, c: layer([a, b, c]), lambda a, b, c: a * b * c[:, None, :], A, B, C)
    check_gradients(lambda a, b, c: layer([a, b, c]), A, B, C)


def test_symbolic_and_eager_shapes(backend):
    assert Multiply()([Input((2, 3)), Input((1, 3)), Input((3,))]).shape == (None, 2, 3)
    assert tuple(Multiply()([backend.asarray(A), backend.asarray(B)]).shape) == (4, 2, 3)


def test_incompatible_shapes():
    with pytest.raises(ValueError, match=r"'times'.*\(None, 2, 3\).*\(None, 4, 3\)"):
        Multiply(name="times")([Input((2, 3)), Input((4, 3))])


def test_config_round_trip():
    layer = Multiply(name="times")
    clone = deserialize(serialize(layer))
    assert type(clone) is Multiply and clone.get_config() == layer.get_config()


def test_functional_form(backend, float64):
    assert multiply([Input((3,)), Input((3,))]).shape == (None, 3)
    np.testing.assert_allclose(to_host(multiply([backend.asarray(A), backend.asarray(B)])), A * B)
