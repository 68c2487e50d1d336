"""Subtract: difference of exactly two tensors."""
import numpy as np
import pytest

from gradcheck import check_forward, check_gradients, to_host
from nnkit.layers import Input, Subtract, deserialize, serialize, subtract

RNG = np.random.default_rng(2)
A, B = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 1))


def test_forward_and_gradients(backend, float64):
    layer = Subtract()
    check_forward(lambda a, b: layer([a, b]), lambda a, b: a - b, A, B)
    check_gradients(lambda a, b: layer([a, b]), A, B)


def test_symbolic_and_eager_shapes(backend):
    assert Subtract()([Input((2, 3)), Input((3,))]).shape == (None, 2, 3)
    assert tuple(Subtract()([backend.asarray(A), backend.asarray(B)]).shape) == (4, 3)


@pytest.mark.parametrize("count", [1, 3])
def test_exactly_two_inputs(count):
    with pytest.raises(ValueError, match=f"'minus'.*exactly 2 inputs.*received {count}"):
        Subtract(name="minus")([Input((3,)) for _ in range(count)])


def test_incompatible_shapes():
    with pytest.raises(ValueError, match=r"'minus'.*\(None, 3\).*\(None, 2\)"):
        Subtract(name="minus")([Input((3,)), Input((2,))])


def test_config_round_trip():
    layer = Subtract(name="minus")
    clone = deserialize(serialize(layer))
    assert type(clone) is Subtract and clone.get_config() == layer.get_config()


def test_functional_form(backend, float64):
    assert subtract([Input((3,)), Input((3,))]).shape == (None, 3)
    np.testing.assert_allclose(to_host(subtract([backend.asarray(A), backend.asarray(B)])), A - B)
