"""BatchNormalization: batch statistics while training (and the moving averages they update inside the pure train
step, on NumPy and on JAX's compiled and device-gathered steps), moving statistics at inference, gradients in
training mode against finite differences, Keras' weights, numbers and parameter counts, masks, configs and errors."""
import json

import numpy as np
import pytest

import nnkit
from gradcheck import backend_params, check_float32, check_forward, to_host
from layer_checks import check_layer_gradients, keras_or_skip, one_step_matches_keras
from nnkit import layers, regularizers
from nnkit.layers import BatchNormalization
from nnkit.ops.variable import Assigned

RNG = np.random.default_rng(7)
EPSILON = 1e-3


def _reference(x, axes, gamma, beta, mean=None, variance=None, epsilon=EPSILON):
    """Batch normalization in float64: statistics over every axis but `axes` unless mean/variance are given."""
    reduce = tuple(a for a in range(x.ndim) if a not in axes)
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    if mean is None:
        mean, variance = x.mean(axis=reduce), x.var(axis=reduce)
    return ((x - mean.reshape(shape)) / np.sqrt(variance.reshape(shape) + epsilon) * gamma.reshape(shape)
            + beta.reshape(shape))


# (input, axis argument, the axes as sorted non-negative ints)
CASES = {
    "2d": (RNG.standard_normal((6, 3)) * 2 + 1, -1, (1,)),
    "3d-time": (RNG.standard_normal((3, 4, 2)), -1, (2,)),
    "4d-channels-last": (RNG.standard_normal((2, 3, 3, 2)), -1, (3,)),
    "4d-channels-first": (RNG.standard_normal((2, 3, 2, 2)), 1, (1,)),
    "4d-two-axes": (RNG.standard_normal((2, 3, 2, 2)), [1, 3], (1, 3)),
}
ON_JAX = ("4d-channels-first",)


def _float64_layer(x, axis, **kwargs):
    """A float64 BatchNormalization built for x with random gamma, beta and moving statistics."""
    layer = BatchNormalization(axis=axis, dtype="float64", **kwargs)
    layer.build((None,) + x.shape[1:])
    shape = layer.gamma.shape
    layer.set_weights([RNG.uniform(0.5, 1.5, shape), RNG.standard_normal(shape), RNG.standard_normal(shape),
                       RNG.uniform(0.5, 2.0, shape)])
    return layer


def _in_training(layer):
    """layer(x, training=True) that leaves the layer's moving statistics as they were (gradient checks trace the
    call; the traced statistics must not stay in the Variables)."""
    moving = [layer.moving_mean, layer.moving_variance]

    def call(x, mask=None):
        with Assigned(moving, [v.value for v in moving]):
            return layer(x, training=True, mask=mask)

    return call


# --- forward ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend, case", backend_params(CASES, lambda name, _: name in ON_JAX), indirect=["backend"])
def test_training_output_uses_batch_statistics(backend, float64, case):
    x, axis, axes = case
    layer = _float64_layer(x, axis)
    gamma, beta, _, _ = layer.get_weights()
    check_forward(_in_training(layer), lambda t: _reference(t, axes, gamma, beta), x)


@pytest.mark.parametrize("backend, case", backend_params(CASES, lambda name, _: name in ON_JAX), indirect=["backend"])
def test_inference_output_uses_moving_statistics(backend, float64, case):
    x, axis, axes = case
    layer = _float64_layer(x, axis)
    gamma, beta, mean, variance = layer.get_weights()
    for call in (lambda t: layer(t), lambda t: layer(t, training=False)):
        check_forward(call, lambda t: _reference(t, axes, gamma, beta, mean, variance), x)


def test_training_call_moves_the_statistics_by_one_minus_momentum(float64):
    x = CASES["3d-time"][0]
    layer = _float64_layer(x, -1, momentum=0.75)
    _, _, mean, variance = layer.get_weights()
    layer(x, training=True)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.75 * mean + 0.25 * x.mean(axis=(0, 1)), rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.75 * variance + 0.25 * x.var(axis=(0, 1)),
                               rtol=1e-12)


def test_center_and_scale_off_leave_only_the_moving_statistics():
    layer = BatchNormalization(center=False, scale=False)
    x = CASES["2d"][0].astype(np.float32)
    out = layer(x, training=True)
    assert [v.name for v in layer.weights] == ["moving_mean", "moving_variance"]
    np.testing.assert_allclose(out, (x - x.mean(0)) / np.sqrt(x.var(0) + EPSILON), rtol=1e-4, atol=1e-5)


def test_float32_in_float32_out(backend):
    layer = BatchNormalization(axis=1)
    x = CASES["4d-channels-first"][0]
    layer.build((None,) + x.shape[1:])
    check_float32(_in_training(layer), x)
    check_float32(lambda t: layer(t), x, grad=False)


# --- masks ------------------------------------------------------------------------------------------------
MASK = np.array([[True, True, False, True], [True, False, False, True], [True, True, True, True]])


def test_masked_timesteps_are_left_out_of_the_statistics(float64):
    x = CASES["3d-time"][0]
    layer = _float64_layer(x, -1)
    gamma, beta, _, _ = layer.get_weights()
    kept = x[MASK]
    expected = (x - kept.mean(0)) / np.sqrt(kept.var(0) + EPSILON) * gamma + beta
    check_forward(lambda t: _in_training(layer)(t, MASK), lambda t: expected, x, rtol=1e-6, atol=1e-7)


def test_mask_must_have_one_axis_fewer_than_the_inputs():
    layer = BatchNormalization(name="masked_bn")
    with pytest.raises(ValueError, match=r"'masked_bn'.*one axis fewer.*\(3, 4, 2\)"):
        layer(np.ones((3, 4, 2), np.float32), training=True, mask=MASK[:, :, None])


# --- gradients --------------------------------------------------------------------------------------------
# Compiled (jit=True) on JAX: the finite differences then cost one dispatch per evaluation, not one per op.
@pytest.mark.parametrize("backend, case", backend_params(CASES, lambda name, _: name in ON_JAX),
                         indirect=["backend"])
def test_training_gradients_wrt_input_gamma_and_beta(backend, float64, case):
    x, axis, _ = case
    layer = _float64_layer(x, axis)
    check_layer_gradients(layer, x, call=_in_training(layer), rtol=1e-5, atol=1e-7, jit=True)


def test_masked_training_gradients(float64):
    x = CASES["3d-time"][0]
    layer = _float64_layer(x, -1)
    check_layer_gradients(layer, x, call=lambda t: _in_training(layer)(t, MASK), rtol=1e-5, atol=1e-7)


def test_inference_gradients(float64):
    x = CASES["2d"][0]
    layer = _float64_layer(x, -1)
    check_layer_gradients(layer, x, call=lambda t: layer(t, training=False), jit=True)


# --- moving statistics through fit / train_on_batch / evaluate / predict --------------------------------------
X_FIT = RNG.standard_normal((8, 3)).astype(np.float32) * 2 + 1
Y_FIT = RNG.standard_normal((8, 1)).astype(np.float32)


def _moving_averages(batches, momentum):
    """The moving mean and variance after training on `batches` in order, from the initial zeros and ones."""
    mean, variance = np.zeros(3), np.ones(3)
    for batch in batches:
        mean = momentum * mean + (1 - momentum) * batch.mean(0)
        variance = momentum * variance + (1 - momentum) * batch.var(0)
    return mean, variance


def _bn_model(backend_name):
    model = nnkit.Sequential([BatchNormalization(momentum=0.6, input_shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", backend=backend_name)
    return model


def _check_moving_averages(model, batches):
    mean, variance = _moving_averages(batches, 0.6)
    bn = model.layers[0]
    np.testing.assert_allclose(bn.moving_mean.numpy(), mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), variance, rtol=1e-5, atol=1e-6)
    return mean, variance


def test_fit_moves_the_statistics_and_evaluate_and_predict_use_them(backend):
    """On JAX, fit trains with the device-gathered step over resident data."""
    model = _bn_model(backend.name)
    model.fit(X_FIT, Y_FIT, batch_size=4, epochs=2, shuffle=False, verbose=0)
    mean, variance = _check_moving_averages(model, [X_FIT[:4], X_FIT[4:]] * 2)
    bn = model.layers[0]
    gamma, beta = bn.gamma.numpy(), bn.beta.numpy()
    kernel, bias = model.layers[1].get_weights()
    expected = _reference(X_FIT.astype(np.float64), (1,), gamma, beta, mean, variance) @ kernel + bias
    np.testing.assert_allclose(model.predict(X_FIT, verbose=0), expected, rtol=1e-4, atol=1e-5)
    loss = model.evaluate(X_FIT, Y_FIT, verbose=0)
    assert loss == pytest.approx(np.mean((expected - Y_FIT) ** 2), rel=1e-4)
    _check_moving_averages(model, [X_FIT[:4], X_FIT[4:]] * 2)  # left alone by evaluate and predict


def test_train_on_batch_moves_the_statistics(backend):
    """On JAX, the compiled train step."""
    model = _bn_model(backend.name)
    for batch in (X_FIT[:3], X_FIT[3:], X_FIT[:5]):
        model.train_on_batch(batch, Y_FIT[:len(batch)])
    _check_moving_averages(model, [X_FIT[:3], X_FIT[3:], X_FIT[:5]])


def test_frozen_layer_normalizes_with_moving_statistics_even_when_training(float64):
    x, axis, axes = CASES["2d"]
    layer = _float64_layer(x, axis)
    weights = layer.get_weights()
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4
    out = layer(x, training=True)
    np.testing.assert_allclose(out, _reference(x, axes, *weights), rtol=1e-10)
    for before, after in zip(weights, layer.get_weights()):
        np.testing.assert_array_equal(before, after)


# --- Keras 3 --------------------------------------------------------------------------------------------------
def _random_bn(L, **kwargs):
    return L.BatchNormalization(gamma_initializer="random_uniform", beta_initializer="random_normal",
                                moving_mean_initializer="random_normal", moving_variance_initializer="ones", **kwargs)


def test_keras_weights_predict_the_same_and_one_sgd_step_matches_keras_including_renorm():
    """Channels-first images through a BatchNormalization with Keras' random weights and statistics, then a
    renormalizing one on the last axis: the same weights (moving statistics included) after one SGD step, and
    the same inference outputs."""
    x = RNG.standard_normal((6, 3, 2, 2)).astype(np.float32)
    y = RNG.standard_normal((6, 1)).astype(np.float32)
    renorm = dict(renorm=True, renorm_clipping={"rmin": 0.7, "rmax": 1.5, "dmax": 0.3}, renorm_momentum=0.5)
    model, reference = one_step_matches_keras(
        lambda L: [_random_bn(L, axis=1, momentum=0.8), L.BatchNormalization(**renorm), L.Flatten(), L.Dense(1)],
        x, y, "mse")
    np.testing.assert_allclose(to_host(model(x)), np.asarray(reference(x)), rtol=1e-5, atol=1e-6)
    assert [v.name for v in model.layers[1].weights] == [v.name for v in reference.layers[1].weights] == [
        "gamma", "beta", "moving_mean", "moving_variance", "moving_stddev", "renorm_mean", "renorm_stddev"]
    assert np.abs(model.layers[0].moving_mean.numpy()).max() > 0  # the comparison covered statistics that moved


def test_parameter_counts_equal_keras():
    keras = keras_or_skip()

    def make(L):
        return [L.Dense(3), L.BatchNormalization(), L.BatchNormalization(center=False)]

    reference = keras.Sequential([keras.Input(shape=(4,))] + make(keras.layers))
    model = nnkit.Sequential([layers.Input(shape=(4,))] + make(layers))
    for mine, theirs in [(model.weights, reference.weights), (model.trainable_weights, reference.trainable_weights),
                         (model.non_trainable_weights, reference.non_trainable_weights)]:
        assert sum(int(np.prod(w.shape)) for w in mine) == sum(int(np.prod(w.shape)) for w in theirs)
    printed = []
    model.summary(print_fn=printed.append)
    assert "Trainable params: 24 " in "\n".join(printed) and "Non-trainable params: 12 " in "\n".join(printed)


# --- weights, configuration, shapes and errors ----------------------------------------------------------------
def test_weights_in_keras_order_with_the_moving_statistics_not_trainable():
    layer = BatchNormalization(beta_regularizer="l2", gamma_regularizer=regularizers.L1(0.1))
    layer.build((None, 5, 4))
    assert [v.name for v in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [v.name for v in layer.trainable_weights] == ["gamma", "beta"]
    assert all(w.shape == (4,) for w in layer.weights)
    gamma, beta, mean, variance = layer.get_weights()
    np.testing.assert_array_equal(gamma, np.ones(4)), np.testing.assert_array_equal(variance, np.ones(4))
    np.testing.assert_array_equal(beta, np.zeros(4)), np.testing.assert_array_equal(mean, np.zeros(4))
    assert isinstance(layer.beta.regularizer, regularizers.L2) and isinstance(layer.gamma.regularizer, regularizers.L1)


def test_config_round_trip():
    layer = BatchNormalization(axis=[1, 3], momentum=0.9, epsilon=1e-5, center=False, gamma_initializer="zeros",
                               moving_variance_initializer="zeros", synchronized=True, name="bn_config")
    config = json.loads(json.dumps(layer.get_config()))
    assert config["axis"] == [1, 3] and config["momentum"] == 0.9 and config["synchronized"] is True
    assert (config["renorm"], config["renorm_clipping"], config["renorm_momentum"]) == (False, None, 0.99)
    clone = layers.deserialize(layers.serialize(BatchNormalization.from_config(config)))
    assert isinstance(clone, BatchNormalization) and clone.get_config() == layer.get_config()
    clone.build((None, 2, 5, 3))
    assert [v.name for v in clone.weights] == ["gamma", "moving_mean", "moving_variance"]
    assert clone.gamma.shape == (2, 3) and not clone.get_weights()[2].any()


def test_compute_output_shape_equals_the_output_shape():
    layer = BatchNormalization(axis=1)
    x = np.ones((2, 3, 4, 5), np.float32)
    assert layer.compute_output_shape((None, 3, 4, 5)) == (None, 3, 4, 5) == (None,) + tuple(layer(x).shape[1:])
    assert layers.BatchNormalization()(layers.Input(shape=(7, 2))).shape == (None, 7, 2)


def test_axis_out_of_range_names_the_layer_axis_and_shape():
    with pytest.raises(ValueError, match=r"BatchNormalization 'bn_axis': axis 3 is out of bounds.*rank 3.*\(2, 4, 5\)"):
        BatchNormalization(axis=3, name="bn_axis")(np.ones((2, 4, 5), np.float32))
    with pytest.raises(ValueError, match=r"axis -4 is out of bounds"):
        BatchNormalization(axis=-4).compute_output_shape((None, 4, 5))


def test_changed_channel_axis_after_build_names_the_expected_size():
    layer = BatchNormalization(axis=1, name="bn_channels")
    layer(np.ones((2, 3, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r"'bn_channels'.*axis 1 .*value 3.*\(2, 4, 4, 4\)"):
        layer(np.ones((2, 4, 4, 4), np.float32))


def test_renorm_clipping_is_checked():
    with pytest.raises(ValueError, match=r"'bn_clip': renorm_clipping takes the keys.*\['rmaxx'\]"):
        BatchNormalization(renorm=True, renorm_clipping={"rmaxx": 2.0}, name="bn_clip")
    with pytest.raises(ValueError, match=r"rmin <= rmax, received rmin=2, rmax=1"):
        BatchNormalization(renorm=True, renorm_clipping={"rmin": 2, "rmax": 1})
    with pytest.raises(ValueError, match=r"dmax >= 0, received dmax=-1"):
        BatchNormalization(renorm=True, renorm_clipping={"dmax": -1})


def test_unknown_channel_size_and_bad_axis_argument():
    with pytest.raises(ValueError, match=r"'bn_unknown' needs the size of axis -1"):
        BatchNormalization(name="bn_unknown")(layers.Input(shape=(4, None)))
    with pytest.raises(TypeError, match=r"axis must be an int or a list of ints, received 'channels'"):
        BatchNormalization(axis="channels")
