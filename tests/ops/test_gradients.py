"""nnkit.ops.value_and_grad / grad: jax.value_and_grad's shape on every backend, over arrays (pure functions,
the stateless form) or over Variables (stateful code such as `model(x, training=True)`)."""
import numpy as np
import pytest

import nnkit
from conftest import float64_enabled
from nnkit import layers, ops

X = np.random.default_rng(0).normal(size=(6, 3))
W = np.array([0.3, -0.2, 0.5])


def _squared_projection(params, x):
    return ops.sum(ops.square(ops.matmul(x, params["w"])))


def test_arrays_in_any_structure_get_gradients_of_the_same_structure_in_float64(backend):
    with float64_enabled():
        value, grads = ops.value_and_grad(_squared_projection)({"w": backend.asarray(W)}, backend.asarray(X))
        assert set(grads) == {"w"}
        np.testing.assert_allclose(np.asarray(grads["w"]), 2 * X.T @ (X @ W), rtol=1e-12)
        assert float(np.asarray(value)) == pytest.approx(float(np.sum((X @ W) ** 2)), rel=1e-12)


def test_grad_with_aux_and_argnums(backend):
    def loss(x, w):
        y = ops.matmul(x, w[0])
        return ops.sum(y), y

    x, w = backend.asarray(X.astype(np.float32)), backend.asarray(W.astype(np.float32))
    grads, aux = ops.grad(loss, argnums=1, has_aux=True)(x, [w])
    np.testing.assert_allclose(np.asarray(grads[0]), X.sum(axis=0), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(aux), X @ W, rtol=1e-5)


def test_variables_are_differentiated_where_stateful_code_reads_them(backend):
    """Differentiating Variables: the function uses the model as it is; a BatchNormalization's moving
    statistics, assigned inside, end up with concrete (untraced) new values, as in an eager call."""
    model = nnkit.Sequential([nnkit.Input((3,)), layers.Dense(2, kernel_initializer="ones"),
                              layers.BatchNormalization(momentum=0.5)])
    model.compile(optimizer="sgd", backend=backend.name)
    x = X.astype(np.float32)

    def loss_fn(variables):
        return ops.mean(ops.square(model(x, training=True)))

    loss, grads = ops.value_and_grad(loss_fn)(model.trainable_variables)
    assert [g.shape for g in grads] == [v.shape for v in model.trainable_variables]
    moving_mean = model.layers[1].moving_mean
    assert backend.is_array(moving_mean.value)
    hidden = x @ np.ones((3, 2), np.float32)
    np.testing.assert_allclose(moving_mean.numpy(), 0.5 * hidden.mean(axis=0), rtol=1e-5)
    gamma_grad = np.asarray(grads[2])
    assert np.all(np.isfinite(gamma_grad)) and float(np.asarray(loss)) > 0


def test_bad_arguments_are_clear_errors(backend):
    with pytest.raises(TypeError, match="position of one argument"):
        ops.value_and_grad(_squared_projection, argnums=(0, 1))
    with pytest.raises(TypeError, match="mixes Variables and arrays"):
        ops.value_and_grad(lambda p: ops.sum(p[0]))([backend.asarray(W), nnkit.Variable(np.zeros(3))])
    with pytest.raises(ValueError, match="holds no arrays"):
        ops.value_and_grad(lambda p: 0.0)([])
    with pytest.raises(ValueError, match="called with 1 positional"):
        ops.value_and_grad(lambda p: 0.0, argnums=2)([backend.asarray(W)])
