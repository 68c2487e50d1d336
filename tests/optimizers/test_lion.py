import numpy as np
import pytest


from nnkit.optimizers import Lion


def reference_lion(params, grads, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None):
    """Keras 3's Lion in float64 NumPy: the parameters after each step."""
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    trajectory = []
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            if weight_decay is not None:
                params[i] = params[i] - params[i] * weight_decay * learning_rate
            params[i] = params[i] - learning_rate * np.sign(beta_1 * m[i] + (1 - beta_1) * g)
            m[i] = beta_2 * m[i] + (1 - beta_2) * g
        trajectory.append([p.copy() for p in params])
    return trajectory


CONFIGS = [{}, {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9}, {"learning_rate": 0.05, "weight_decay": 0.2}]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_trajectory_matches_keras_formulas(float64, problem, run_optimizer, assert_trajectories_close,
                                           config):
    params, grads = problem
    assert_trajectories_close(run_optimizer(Lion(**config), params, grads), reference_lion(params, grads, **config))


def test_matches_optax_lion(float64, problem, run_optimizer, assert_trajectories_close, optax_trajectory):
    params, grads = problem
    expected = optax_trajectory(lambda optax: optax.lion(0.05, b1=0.8, b2=0.95, weight_decay=0.0), params, grads)
    assert_trajectories_close(run_optimizer(Lion(0.05, beta_1=0.8, beta_2=0.95), params, grads), expected)


def test_defaults_and_bad_beta_1():
    optimizer = Lion()
    assert (optimizer.learning_rate, optimizer.beta_1, optimizer.beta_2, optimizer.name) == (0.001, 0.9, 0.99, "lion")
    with pytest.raises(ValueError, match="beta_1"):
        Lion(beta_1=0.0)
