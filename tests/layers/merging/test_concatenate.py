"""Concatenate: join along one axis; plus an end-to-end two-input functional model that trains."""
import numpy as np
import pytest

from gradcheck import check_forward, check_gradients, to_host
from nnkit.layers import Concatenate, Dense, Input, concatenate, deserialize, serialize
from nnkit.models import Model

RNG = np.random.default_rng(6)
A, B, C = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 3, 1)), RNG.standard_normal((2, 3, 2))


@pytest.mark.parametrize("axis", [-1, 2])
def test_forward_and_gradients_last_axis(backend, float64, axis):
    layer = Concatenate(axis=axis)
    check_forward(lambda a, b, c: layer([a, b, c]), lambda a, b, c: np.concatenate([a, b, c], axis=-1), A, B, C)
    check_gradients(lambda a, b, c: layer([a, b, c]), A, B, C)


def test_forward_and_gradients_middle_axis(backend, float64):
    a, b = A, RNG.standard_normal((2, 5, 4))
    layer = Concatenate(axis=1)
    check_forward(lambda x, y: layer([x, y]), lambda x, y: np.concatenate([x, y], axis=1), a, b)
    check_gradients(lambda x, y: layer([x, y]), a, b)


@pytest.mark.parametrize("shapes, axis, expected", [
    ([(None, 3), (None, 5)], -1, (None, 8)),
    ([(None, 2, 3), (None, 4, 3)], 1, (None, 6, 3)),
    ([(None, 2, None), (None, 2, 3)], -1, (None, 2, None)),
    ([(None, None, 3), (None, 4, 3)], -1, (None, 4, 6)),
    ([(8, 3), (None, 2)], -1, (8, 5)),
])
def test_symbolic_shape(shapes, axis, expected):
    assert Concatenate(axis=axis)([Input(batch_shape=s) for s in shapes]).shape == expected


def test_eager_shape(backend):
    out = Concatenate()([backend.asarray(A), backend.asarray(B), backend.asarray(C)])
    assert backend.is_array(out) and tuple(out.shape) == (2, 3, 7)


@pytest.mark.parametrize("shapes, axis, reason", [
    ([(None, 2, 3), (None, 4, 5)], -1, "axis 1 differs"),
    ([(None, 2, 3), (None, 2, 4)], 1, "axis 2 differs"),
    ([(None, 3), (None, 2, 3)], -1, "same rank"),
    ([(None, 3), (None, 3)], 2, "out of range"),
    ([(8, 3), (4, 3)], -1, "axis 0 differs"),
])
def test_incompatible_shapes(shapes, axis, reason):
    with pytest.raises(ValueError, match=reason) as error:
        Concatenate(axis=axis, name="cat")([Input(batch_shape=s) for s in shapes])
    assert "'cat'" in str(error.value) and all(str(s) in str(error.value) for s in shapes)


def test_config_round_trip():
    layer = Concatenate(axis=1, name="cat")
    config = layer.get_config()
    assert config["axis"] == 1
    clone = deserialize(serialize(layer))
    assert type(clone) is Concatenate and clone.axis == 1 and clone.get_config() == config


def test_functional_form(backend, float64):
    assert concatenate([Input((2, 3)), Input((5, 3))], axis=1).shape == (None, 7, 3)
    got = concatenate([backend.asarray(A), backend.asarray(C)])
    np.testing.assert_allclose(to_host(got), np.concatenate([A, C], axis=-1))


def test_two_input_model_trains(backend):
    a, b = Input((3,)), Input((5,))
    model = Model(inputs=[a, b], outputs=Dense(1)(concatenate([Dense(4)(a), Dense(4)(b)])))
    model.compile(optimizer="sgd", loss="mse", backend=backend.name)
    rng = np.random.default_rng(7)
    xa, xb = rng.standard_normal((64, 3)).astype("float32"), rng.standard_normal((64, 5)).astype("float32")
    y = (xa.sum(axis=1, keepdims=True) - xb[:, :1]).astype("float32")
    losses = model.fit([xa, xb], y, epochs=2, batch_size=16, verbose=0).history["loss"]
    assert len(losses) == 2 and np.all(np.isfinite(losses)) and losses[1] < losses[0]
    assert model.predict([xa, xb], verbose=0).shape == (64, 1)
