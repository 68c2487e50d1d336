"""Hand-written training loops: stateless_call, the backend's value_and_grad and optimizer.apply."""
import numpy as np
import pytest

import nnkit
from nnkit import layers, ops, optimizers

X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7], [2.0, 1.0]], np.float32)
Y = X @ np.array([[0.5], [-1.0]], np.float32) + 0.25


def _mse_step(model, backend):
    """Loss and gradients of the model's weights by the backend's value_and_grad over stateless_call."""
    state = [v.value for v in model.non_trainable_weights]

    def loss_fn(values):
        outputs, _ = model.stateless_call(values, state, backend.asarray(X))
        loss = ops.mean(ops.square(ops.subtract(outputs, backend.asarray(Y))))
        return loss, outputs

    (loss, _), grads = backend.value_and_grad(loss_fn)([v.value for v in model.trainable_weights])
    return float(loss), grads


def test_hand_written_loop_with_optimizer_apply(backend):
    dense = layers.Dense(1, kernel_initializer="zeros", kernel_constraint="non_neg")
    model = nnkit.Sequential([nnkit.Input((2,)), dense])
    optimizer = optimizers.SGD(0.05)
    losses = []
    for _ in range(2):
        loss, grads = _mse_step(model, backend)
        optimizer.apply(grads, model.trainable_weights)
        losses.append(loss)
    assert losses[-1] < losses[0] and optimizer.iterations == 2
    assert model.layers[0].kernel.numpy().min() >= 0.0  # the constraint projected after each update


def test_stateless_call_leaves_the_variables_alone():
    model = nnkit.Sequential([nnkit.Input((2,)), layers.Dense(1, kernel_initializer="zeros")])
    ones = [np.ones((2, 1), np.float32), np.ones((1,), np.float32)]
    outputs, state = model.stateless_call(ones, [], X)
    np.testing.assert_allclose(np.asarray(outputs), X.sum(-1, keepdims=True) + 1.0)
    assert state == [] and model.layers[0].kernel.numpy().sum() == 0.0
    with pytest.raises(ValueError, match="needs 2 trainable"):
        model.stateless_call(ones[:1], [], X)


def test_apply_gradients_pairs_and_metrics_property():
    model = nnkit.Sequential([nnkit.Input((2,)), layers.Dense(1)])
    kernel = model.layers[0].kernel
    before = kernel.numpy()
    optimizers.SGD(1.0).apply_gradients([(np.ones((2, 1), np.float32), kernel)])
    np.testing.assert_allclose(kernel.numpy(), before - 1.0)
    assert model.metrics == []
    model.compile(loss="mse", metrics=["mae"])
    model.evaluate(X, Y, verbose=0)
    assert [m.name for m in model.metrics] == ["loss", "mae"]
