import numpy as np
import pytest

from nnkit.backends import active, get_backend
from nnkit.optimizers import Adadelta


def reference_adadelta(params, grads, learning_rate=0.001, rho=0.95, epsilon=1e-7):
    """Keras 3's Adadelta in float64 NumPy: the parameters after each step."""
    params = [p.copy() for p in params]
    accumulated_grad = [np.zeros_like(p) for p in params]
    accumulated_delta = [np.zeros_like(p) for p in params]
    trajectory = []
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            accumulated_grad[i] = rho * accumulated_grad[i] + (1 - rho) * g * g
            delta = -np.sqrt(accumulated_delta[i] + epsilon) * g / np.sqrt(accumulated_grad[i] + epsilon)
            accumulated_delta[i] = rho * accumulated_delta[i] + (1 - rho) * delta * delta
            params[i] = params[i] + learning_rate * delta
        trajectory.append([p.copy() for p in params])
    return trajectory


CONFIGS = [{}, {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-4}]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_trajectory_matches_keras_formulas(backend, float64, problem, run_optimizer, assert_trajectories_close,
                                           config):
    params, grads = problem
    expected = reference_adadelta(params, grads, **config)
    assert_trajectories_close(run_optimizer(Adadelta(**config), params, grads), expected)


def test_defaults():
    optimizer = Adadelta()
    assert (optimizer.learning_rate, optimizer.rho, optimizer.epsilon, optimizer.name) == (0.001, 0.95, 1e-7,
                                                                                             "adadelta")
    assert optimizer.slot_names == ("accumulated_grad", "accumulated_delta_var")


def test_matches_optax(float64, problem, run_optimizer, optax_trajectory, assert_trajectories_close):
    params, grads = problem
    theirs = optax_trajectory(lambda optax: optax.adadelta(1.0, rho=0.9, eps=1e-4), params, grads)
    with active.using(get_backend("numpy")):
        ours = run_optimizer(Adadelta(1.0, rho=0.9, epsilon=1e-4), params, grads)
    assert_trajectories_close(ours, theirs, rtol=1e-10)
