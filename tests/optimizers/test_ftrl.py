import numpy as np
import pytest


from nnkit.optimizers import Ftrl


def reference_ftrl(params, grads, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                   l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                   l2_shrinkage_regularization_strength=0.0, beta=0.0):
    """Keras 3's Ftrl in float64 NumPy: the parameters after each step."""
    params = [p.copy() for p in params]
    n = [np.full_like(p, initial_accumulator_value) for p in params]
    z = [np.zeros_like(p) for p in params]
    lr, k = learning_rate, -learning_rate_power
    l1, l2 = l1_regularization_strength, l2_regularization_strength + beta / (2 * lr)
    trajectory = []
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            new_n = n[i] + g * g
            z[i] = z[i] + g + 2 * l2_shrinkage_regularization_strength * params[i] \
                - (new_n**k - n[i] ** k) / lr * params[i]
            params[i] = (np.clip(z[i], -l1, l1) - z[i]) / (new_n**k / lr + 2 * l2)
            n[i] = new_n
        trajectory.append([p.copy() for p in params])
    return trajectory


CONFIGS = [
    {},
    {"learning_rate": 0.1, "l1_regularization_strength": 0.05, "l2_regularization_strength": 0.1, "beta": 0.2},
    {"learning_rate": 0.1, "learning_rate_power": -0.7, "initial_accumulator_value": 0.5,
     "l2_shrinkage_regularization_strength": 0.3},
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_trajectory_matches_keras_formulas(float64, problem, run_optimizer, assert_trajectories_close,
                                           config):
    params, grads = problem
    assert_trajectories_close(run_optimizer(Ftrl(**config), params, grads), reference_ftrl(params, grads, **config))


def test_l1_keeps_small_weights_at_exactly_zero(float64, problem, run_optimizer):
    params, grads = problem
    after = run_optimizer(Ftrl(0.1, l1_regularization_strength=100.0), params, grads)[-1]
    assert all(np.all(p == 0.0) for p in after)


def test_matches_keras(float64, problem, run_optimizer, assert_trajectories_close, keras_trajectory):
    params, grads = problem[0], problem[1][:2]
    config = CONFIGS[1]
    expected = keras_trajectory(lambda optimizers: optimizers.Ftrl(**config), params, grads)
    # Keras keeps its learning rate in float32.
    assert_trajectories_close(run_optimizer(Ftrl(**config), params, grads), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("argument", ["initial_accumulator_value", "l1_regularization_strength",
                                      "l2_regularization_strength", "l2_shrinkage_regularization_strength"])
def test_negative_strengths_are_rejected(argument):
    with pytest.raises(ValueError, match=argument):
        Ftrl(**{argument: -0.1})
    with pytest.raises(ValueError, match="learning_rate_power"):
        Ftrl(learning_rate_power=0.5)
