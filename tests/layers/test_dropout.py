"""Dropout: the identity outside training; in training it zeroes about `rate` of the values and scales the
rest by 1/(1-rate), reproducibly from an explicit key (CallContext), broadcasting over noise_shape."""
import json

import numpy as np
import pytest

import nnkit
from gradcheck import check_gradients, to_host
from nnkit import Input, layers
from nnkit.layers.call_context import CallContext

X = np.random.default_rng(0).uniform(0.5, 1.5, size=(40, 100)).astype(np.float32)


def _run(backend, layer, x, seed=0, **kwargs):
    with CallContext(backend.random_key(seed)):
        return to_host(layer(backend.asarray(x), training=True, **kwargs))


@pytest.mark.parametrize("training", [False, None])
def test_identity_when_not_training(backend, training):
    layer = layers.Dropout(0.5)
    x = backend.asarray(X)
    out = layer(x, training=training) if training is not None else layer(x)
    np.testing.assert_array_equal(to_host(out), X)


def test_rate_zero_is_the_identity_in_training(backend):
    np.testing.assert_array_equal(_run(backend, layers.Dropout(0.0), X), X)


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5, 0.8])
def test_training_zeroes_about_rate_and_scales_the_rest(backend, rate):
    out = _run(backend, layers.Dropout(rate), X)
    assert out.shape == X.shape and out.dtype == np.float32
    dropped = out == 0
    # 4000 draws: the standard deviation of the dropped fraction is below 0.008.
    assert abs(dropped.mean() - rate) < 0.04
    np.testing.assert_allclose(out[~dropped], X[~dropped] / (1.0 - rate), rtol=1e-6)
    # Inverted dropout keeps the expected value.
    assert abs(out.mean() / X.mean() - 1.0) < 0.1


def test_same_key_same_mask_different_key_different_mask(backend):
    layer = layers.Dropout(0.5)
    first = _run(backend, layer, X, seed=7)
    again = _run(backend, layer, X, seed=7)
    other = _run(backend, layer, X, seed=8)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first == 0, other == 0)


def test_layer_seed_is_folded_into_the_step_key(backend):
    """Same step key and same seed: the same mask; a different layer seed: a different mask."""
    seeded = _run(backend, layers.Dropout(0.5, seed=1), X, seed=7)
    np.testing.assert_array_equal(seeded, _run(backend, layers.Dropout(0.5, seed=1), X, seed=7))
    assert not np.array_equal(seeded == 0, _run(backend, layers.Dropout(0.5, seed=2), X, seed=7) == 0)
    assert not np.array_equal(seeded == 0, _run(backend, layers.Dropout(0.5), X, seed=7) == 0)


def test_successive_draws_in_one_context_differ_but_replay_identically(backend):
    layer = layers.Dropout(0.5)
    x = backend.asarray(X)

    def two_calls():
        with CallContext(backend.random_key(3)):
            return to_host(layer(x, training=True)), to_host(layer(x, training=True))

    a, b = two_calls()
    assert not np.array_equal(a == 0, b == 0)
    a2, b2 = two_calls()
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_array_equal(b, b2)


def test_two_layers_in_one_context_draw_independent_masks(backend):
    with CallContext(backend.random_key(0)):
        a = to_host(layers.Dropout(0.5)(backend.asarray(X), training=True))
        b = to_host(layers.Dropout(0.5)(backend.asarray(X), training=True))
    assert not np.array_equal(a == 0, b == 0)


def test_noise_shape_broadcasts_the_mask(backend):
    x = np.ones((6, 50, 8), np.float32)
    out = _run(backend, layers.Dropout(0.5, noise_shape=(None, 1, 8)), x)
    # One mask per (sample, feature), shared along axis 1.
    assert np.all(out == out[:, :1, :])
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert 0.25 < (out[:, 0, :] == 0).mean() < 0.75


def test_fully_specified_noise_shape(backend):
    x = np.ones((4, 30), np.float32)
    out = _run(backend, layers.Dropout(0.5, noise_shape=(1, 30)), x)
    assert np.all(out == out[:1])  # the same columns dropped in every row
    assert 0 < (out[0] == 0).sum() < 30


def test_gradient_is_the_mask_over_keep_probability(backend):
    layer = layers.Dropout(0.4)
    x = np.random.default_rng(1).standard_normal((2, 4))

    def fn(t):
        with CallContext(backend.random_key(11)):
            return layer(t, training=True)

    check_gradients(fn, x)


def test_identity_in_predict_and_active_in_fit(backend):
    model = nnkit.Sequential([Input(shape=(100,)), layers.Dropout(0.5)])
    np.testing.assert_allclose(model.predict(X, verbose=0), X)
    assert model._uses_randomness()


def test_training_true_in_a_graph_call_keeps_dropout_on_in_predict(backend):
    """Keras' Monte-Carlo dropout idiom: `Dropout(r)(x, training=True)` in a functional graph is always on."""
    inputs = Input(shape=(100,))
    model = nnkit.Model(inputs, layers.Dropout(0.5)(inputs, training=True))
    out = model.predict(X, verbose=0)
    assert 0.4 < (out == 0).mean() < 0.6
    np.testing.assert_allclose(out[out != 0], 2.0 * X[out != 0], rtol=1e-6)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_invalid_rate_is_a_value_error_naming_the_layer(rate):
    with pytest.raises(ValueError, match=r"Dropout 'bad_dropout': rate must be in \[0, 1\)"):
        layers.Dropout(rate, name="bad_dropout")


def test_symbolic_shape_and_config_round_trip(backend):
    layer = layers.Dropout(0.25, noise_shape=(None, 1, 4), seed=5, name="drop")
    assert layer(Input(shape=(3, 4))).shape == (None, 3, 4)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["rate"] == 0.25 and config["noise_shape"] == [None, 1, 4] and config["seed"] == 5
    clone = layers.Dropout.from_config(config)
    assert clone.rate == 0.25 and clone.noise_shape == (None, 1, 4) and clone.name == "drop"
    x = np.ones((2, 3, 4), np.float32)
    np.testing.assert_array_equal(_run(backend, clone, x, seed=2), _run(backend, layer, x, seed=2))
