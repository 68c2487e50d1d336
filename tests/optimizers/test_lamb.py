import math

import numpy as np
import pytest

from gradcheck import backend_params

from nnkit.optimizers import Lamb


def reference_lamb(params, grads, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras 3's Lamb in float64 NumPy: the parameters after each step."""
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    trajectory = []
    for t, step_grads in enumerate(grads, start=1):
        for i, g in enumerate(step_grads):
            m[i] = m[i] + (g - m[i]) * (1 - beta_1)
            v[i] = v[i] + (g * g - v[i]) * (1 - beta_2)
            update = (m[i] / (1 - beta_1**t)) / (np.sqrt(v[i] / (1 - beta_2**t)) + epsilon)
            w_norm, u_norm = np.linalg.norm(params[i]), np.linalg.norm(update)
            ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
            params[i] = params[i] - ratio * learning_rate * update
        trajectory.append([p.copy() for p in params])
    return trajectory


CONFIGS = [{}, {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3}]


# Every configuration on the tape; the first also on JAX (each new shape there is a compile).
@pytest.mark.parametrize("backend, config", backend_params(dict(enumerate(CONFIGS)), lambda index, _: index == 0),
                         indirect=["backend"])
def test_trajectory_matches_keras_formulas(backend, float64, problem, run_optimizer, assert_trajectories_close,
                                           config):
    params, grads = problem
    assert_trajectories_close(run_optimizer(Lamb(**config), params, grads), reference_lamb(params, grads, **config))


def test_matches_optax_lamb(float64, problem, run_optimizer, assert_trajectories_close, optax_trajectory):
    params, grads = problem
    expected = optax_trajectory(lambda optax: optax.lamb(0.05, b1=0.8, b2=0.99, eps=1e-6, weight_decay=0.0),
                                params, grads)
    assert_trajectories_close(run_optimizer(Lamb(0.05, beta_1=0.8, beta_2=0.99, epsilon=1e-6), params, grads),
                              expected, rtol=1e-10)


def test_a_zero_weight_takes_the_plain_adam_step(float64, run_optimizer):
    """The trust ratio is 1 when the weight's norm is 0, so the first step is lr * sign(g) (Adam's first step)."""
    grads = [[np.array([0.3, -2.0, 0.0])]]
    (after,), = run_optimizer(Lamb(0.1), [np.zeros(3)], grads)
    np.testing.assert_allclose(after, -0.1 * np.array([0.3, -2.0, 0.0]) / (np.abs([0.3, -2.0, 0.0]) + 1e-7), rtol=1e-6)
    assert math.isclose(Lamb().epsilon, 1e-7) and Lamb().name == "lamb"
