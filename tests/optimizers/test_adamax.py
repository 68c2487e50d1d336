import numpy as np
import pytest

from nnkit.optimizers import Adamax


def reference_adamax(params, grads, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras 3's Adamax in float64 NumPy: the parameters after each step."""
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    u = [np.zeros_like(p) for p in params]
    trajectory = []
    for t, step_grads in enumerate(grads, start=1):
        for i, g in enumerate(step_grads):
            m[i] = m[i] + (g - m[i]) * (1 - beta_1)
            u[i] = np.maximum(beta_2 * u[i], np.abs(g))
            params[i] = params[i] - learning_rate * m[i] / ((1 - beta_1**t) * (u[i] + epsilon))
        trajectory.append([p.copy() for p in params])
    return trajectory


CONFIGS = [{}, {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.5, "epsilon": 1e-3}]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_trajectory_matches_keras_formulas(backend, float64, problem, run_optimizer, assert_trajectories_close,
                                           config):
    params, grads = problem
    expected = reference_adamax(params, grads, **config)
    assert_trajectories_close(run_optimizer(Adamax(**config), params, grads), expected)


def test_positional_defaults():
    optimizer = Adamax(0.002, 0.8, 0.99, 1e-6)
    assert (optimizer.learning_rate, optimizer.beta_1, optimizer.beta_2, optimizer.epsilon) == (0.002, 0.8, 0.99, 1e-6)
    assert Adamax().get_config()["beta_2"] == 0.999
    assert Adamax().slot_names == ("momentum", "norm")
