"""Dot: per-sample dot products (Keras' batch_dot) of 2-D and 3-D inputs, optionally cosine-normalised."""
import numpy as np
import pytest

from gradcheck import backend_gradient, check_forward, check_gradients, to_host
from nnkit.layers import Dot, Input, deserialize, dot, serialize

RNG = np.random.default_rng(8)


def _unit(x, axis):
    return x / np.sqrt(np.sum(x * x, axis=axis, keepdims=True))


# (shape of x, shape of y, axes, NumPy reference of one batch_dot, Keras' output shape)
CASES = {
    "2d-2d": ((2, 3), (2, 3), 1, lambda x, y: np.einsum("bi,bi->b", x, y)[:, None], (2, 1)),
    "2d-2d-neg": ((2, 3), (2, 3), -1, lambda x, y: np.einsum("bi,bi->b", x, y)[:, None], (2, 1)),
    "3d-3d-matmul": ((2, 2, 3), (2, 3, 4), (2, 1), lambda x, y: np.einsum("bmi,bip->bmp", x, y), (2, 2, 4)),
    "3d-3d-last": ((2, 2, 3), (2, 4, 3), [-1, -1], lambda x, y: np.einsum("bmi,bpi->bmp", x, y), (2, 2, 4)),
    "3d-3d-first": ((2, 3, 2), (2, 3, 4), 1, lambda x, y: np.einsum("bim,bip->bmp", x, y), (2, 2, 4)),
    "2d-3d": ((2, 3), (2, 3, 4), (1, 1), lambda x, y: np.einsum("bi,bip->bp", x, y), (2, 4)),
    "3d-2d": ((2, 2, 3), (2, 3), (2, 1), lambda x, y: np.einsum("bmi,bi->bm", x, y), (2, 2)),
}


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("case", CASES)
def test_forward_and_gradients(backend, float64, case, normalize):
    x_shape, y_shape, axes, ref, out_shape = CASES[case]
    x, y = RNG.standard_normal(x_shape), RNG.standard_normal(y_shape)
    layer = Dot(axes=axes, normalize=normalize)
    pair = (axes, axes) if isinstance(axes, int) else axes
    if normalize:
        reference = lambda a, b: ref(_unit(a, pair[0]), _unit(b, pair[1]))
    else:
        reference = ref
    (got,) = check_forward(lambda a, b: layer([a, b]), reference, x, y)
    assert got.shape == out_shape
    check_gradients(lambda a, b: layer([a, b]), x, y, jit=True)  # jit: compiled once, so finite differences stay fast


@pytest.mark.parametrize("case", CASES)
def test_symbolic_shape_matches_eager(backend, case):
    x_shape, y_shape, axes, _, out_shape = CASES[case]
    symbolic = Dot(axes=axes)([Input(x_shape[1:]), Input(y_shape[1:])])
    assert symbolic.shape == (None,) + out_shape[1:]
    eager = Dot(axes=axes)([backend.asarray(np.ones(x_shape, "float32")), backend.asarray(np.ones(y_shape, "float32"))])
    assert tuple(eager.shape) == out_shape


def test_normalized_output_is_cosine_similarity(backend):
    x = np.array([[3.0, 4.0], [1.0, 0.0]], "float32")
    y = np.array([[6.0, 8.0], [0.0, 2.0]], "float32")
    got = to_host(Dot(axes=1, normalize=True)([backend.asarray(x), backend.asarray(y)]))
    np.testing.assert_allclose(got, [[1.0], [0.0]], atol=1e-6)


def test_normalized_zero_vector_has_finite_gradient(backend, float64):
    # The squared-norm floor keeps 0 / 0 out of both the output and the gradient.
    x, y = np.zeros((2, 3)), RNG.standard_normal((2, 3))
    layer = Dot(axes=1, normalize=True)
    check_forward(lambda a, b: layer([a, b]), lambda a, b: np.zeros((2, 1)), x, y)
    _, grads = backend_gradient(lambda a, b: layer([a, b]), x, y)
    assert all(np.all(np.isfinite(g)) for g in grads)


@pytest.mark.parametrize("shapes, axes, reason", [
    ([(None, 3), (None, 4)], 1, "different sizes"),
    ([(None, 2, 3), (None, 2, 3)], (2, 1), "different sizes"),
    ([(None, 3), (None, 3)], 0, "batch axis"),
    ([(None, 3), (None, 3)], (1, 2), "out of range"),
    ([(None, 3), (None, 3), (None, 3)], 1, "exactly 2 inputs"),
    ([(8, 3), (4, 3)], 1, "batch sizes"),
])
def test_incompatible_shapes(shapes, axes, reason):
    with pytest.raises(ValueError, match=reason) as error:
        Dot(axes=axes, name="dotted")([Input(batch_shape=s) for s in shapes])
    assert "'dotted'" in str(error.value) and all(str(s) in str(error.value) for s in shapes)


@pytest.mark.parametrize("axes", [(1,), (1, 2, 3), "1", 1.0, (1, None)])
def test_invalid_axes_argument(axes):
    with pytest.raises(ValueError, match="axes must be"):
        Dot(axes=axes)


@pytest.mark.parametrize("axes", [1, (2, 1)])
def test_config_round_trip(axes):
    layer = Dot(axes=axes, normalize=True, name="dotted")
    config = layer.get_config()
    assert config["normalize"] is True and config["axes"] == (axes if isinstance(axes, int) else list(axes))
    clone = deserialize(serialize(layer))
    assert type(clone) is Dot and clone.get_config() == config


def test_functional_form(backend, float64):
    assert dot([Input((2, 3)), Input((3, 5))], axes=(2, 1)).shape == (None, 2, 5)
    x, y = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    got = to_host(dot([backend.asarray(x), backend.asarray(y)], axes=1, normalize=True))
    np.testing.assert_allclose(got, np.sum(_unit(x, 1) * _unit(y, 1), axis=1, keepdims=True))
