import numpy as np
import pytest

from nnkit.backends import active, get_backend
from nnkit.optimizers import RMSprop


def reference_rmsprop(params, grads, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    """Keras 3's RMSprop in float64 NumPy: the parameters after each step."""
    params = [p.copy() for p in params]
    velocity = [np.zeros_like(p) for p in params]
    average = [np.zeros_like(p) for p in params]
    moment = [np.zeros_like(p) for p in params]
    trajectory = []
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            velocity[i] = rho * velocity[i] + (1 - rho) * g * g
            if centered:
                average[i] = rho * average[i] + (1 - rho) * g
                denominator = velocity[i] - average[i] ** 2 + epsilon
            else:
                denominator = velocity[i] + epsilon
            increment = learning_rate * g / np.sqrt(denominator)
            if momentum > 0:
                moment[i] = momentum * moment[i] + increment
                params[i] = params[i] - moment[i]
            else:
                params[i] = params[i] - increment
        trajectory.append([p.copy() for p in params])
    return trajectory


CONFIGS = [
    {},
    {"learning_rate": 0.01, "rho": 0.8, "epsilon": 1e-3},
    {"learning_rate": 0.01, "momentum": 0.5},
    {"learning_rate": 0.01, "centered": True},
    {"learning_rate": 0.01, "momentum": 0.5, "centered": True},
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_trajectory_matches_keras_formulas(backend, float64, problem, run_optimizer, assert_trajectories_close,
                                           config):
    params, grads = problem
    expected = reference_rmsprop(params, grads, **config)
    assert_trajectories_close(run_optimizer(RMSprop(**config), params, grads), expected)


def test_keras_docstring_example(backend):
    # Keras' RMSprop docstring: lr 0.1, var 10, loss var**2 / 2, one minimize step -> 9.683772.
    optimizer = RMSprop(learning_rate=0.1)
    params = [backend.asarray(np.array([10.0], np.float32))]
    params, _ = optimizer.update([params[0]], optimizer.init(params), params)
    np.testing.assert_allclose(backend.to_numpy(params[0]), [9.683772], rtol=1e-6)


def test_slots_follow_the_configuration():
    assert RMSprop().slot_names == ("velocity",)
    assert RMSprop(momentum=0.9, centered=True).slot_names == ("velocity", "momentum", "average_gradient")


@pytest.mark.parametrize("config", CONFIGS[2:], ids=str)
def test_matches_optax(float64, problem, run_optimizer, optax_trajectory, assert_trajectories_close, config):
    params, grads = problem
    theirs = optax_trajectory(lambda optax: optax.rmsprop(config["learning_rate"], decay=0.9, eps=1e-7,
                                                          centered=config.get("centered", False),
                                                          momentum=config.get("momentum")), params, grads)
    with active.using(get_backend("numpy")):
        ours = run_optimizer(RMSprop(**config), params, grads)
    assert_trajectories_close(ours, theirs, rtol=1e-10)
