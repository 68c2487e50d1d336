"""Add: sum of a list of tensors."""
import numpy as np
import pytest

from gradcheck import check_forward, check_gradients, to_host
from nnkit.layers import Add, Input, add, deserialize, serialize

RNG = np.random.default_rng(1)
A, B, C = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3)), RNG.standard_normal((4, 1))


def test_forward_and_gradients(backend, float64):
    layer = Add()
    check_forward(lambda a, b, c: layer([a, b, c]), lambda a, b, c: a + b + c, A, B, C)
    check_gradients(lambda a, b, c: layer([a, b, c]), A, B, C)


def test_symbolic_and_eager_shapes(backend):
    assert Add()([Input((3,)), Input((1,)), Input((3,))]).shape == (None, 3)
    out = Add()([backend.asarray(A.astype("float32")), backend.asarray(B.astype("float32"))])
    assert tuple(out.shape) == (4, 3) and backend.is_array(out)


def test_incompatible_shapes():
    with pytest.raises(ValueError, match=r"'bad_add'.*\(None, 3\).*\(None, 2\)"):
        Add(name="bad_add")([Input((3,)), Input((2,))])


def test_config_round_trip():
    layer = Add(name="plus", trainable=False)
    clone = deserialize(serialize(layer))
    assert type(clone) is Add and clone.get_config() == layer.get_config()


def test_functional_form(backend, float64):
    assert add([Input((3,)), Input((3,))], name="added").node.layer.name == "added"
    np.testing.assert_allclose(to_host(add([backend.asarray(A), backend.asarray(B)])), A + B)
