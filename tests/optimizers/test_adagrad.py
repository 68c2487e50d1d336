import numpy as np
import pytest

from nnkit.backends import active, get_backend
from nnkit.optimizers import Adagrad


def reference_adagrad(params, grads, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
    """Keras 3's Adagrad in float64 NumPy: the parameters after each step."""
    params = [p.copy() for p in params]
    accumulators = [np.full_like(p, initial_accumulator_value) for p in params]
    trajectory = []
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            accumulators[i] = accumulators[i] + g * g
            params[i] = params[i] - learning_rate * g / np.sqrt(accumulators[i] + epsilon)
        trajectory.append([p.copy() for p in params])
    return trajectory


CONFIGS = [{}, {"learning_rate": 0.5, "initial_accumulator_value": 2.0, "epsilon": 1e-3}]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_trajectory_matches_keras_formulas(backend, float64, problem, run_optimizer, assert_trajectories_close,
                                           config):
    params, grads = problem
    expected = reference_adagrad(params, grads, **config)
    assert_trajectories_close(run_optimizer(Adagrad(**config), params, grads), expected)


def test_accumulators_start_at_the_initial_value(backend):
    state = Adagrad(initial_accumulator_value=0.25).init([backend.asarray(np.zeros((2, 2), np.float32))])
    accumulator = backend.to_numpy(state["accumulator"][0])
    assert accumulator.dtype == np.float32
    np.testing.assert_array_equal(accumulator, np.full((2, 2), 0.25))


def test_defaults_and_validation():
    optimizer = Adagrad()
    assert (optimizer.learning_rate, optimizer.initial_accumulator_value, optimizer.epsilon) == (0.001, 0.1, 1e-7)
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        Adagrad(initial_accumulator_value=-1.0)


def test_matches_optax(float64, problem, run_optimizer, optax_trajectory, assert_trajectories_close):
    params, grads = problem
    theirs = optax_trajectory(lambda optax: optax.adagrad(0.5, initial_accumulator_value=0.1, eps=1e-7), params, grads)
    with active.using(get_backend("numpy")):
        ours = run_optimizer(Adagrad(0.5), params, grads)
    assert_trajectories_close(ours, theirs, rtol=1e-10)
