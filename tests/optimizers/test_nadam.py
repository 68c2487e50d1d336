import numpy as np
import pytest

from nnkit.optimizers import Nadam


def reference_nadam(params, grads, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras 3's Nadam in float64 NumPy (Dozat's momentum schedule): (parameters after each step, u_product)."""
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    u_product = 1.0
    trajectory = []
    for t, step_grads in enumerate(grads, start=1):
        u_product = u_product * beta_1 * (1 - 0.5 * 0.96**t)
        u_t = beta_1 * (1 - 0.5 * 0.96**t)
        u_next = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product_next = u_product * u_next
        for i, g in enumerate(step_grads):
            m[i] = m[i] + (g - m[i]) * (1 - beta_1)
            v[i] = v[i] + (g * g - v[i]) * (1 - beta_2)
            m_hat = u_next * m[i] / (1 - u_product_next) + (1 - u_t) * g / (1 - u_product)
            v_hat = v[i] / (1 - beta_2**t)
            params[i] = params[i] - m_hat * learning_rate / (np.sqrt(v_hat) + epsilon)
        trajectory.append([p.copy() for p in params])
    return trajectory, u_product


CONFIGS = [{}, {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3}]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_trajectory_matches_keras_formulas(backend, float64, problem, run_optimizer, assert_trajectories_close,
                                           config):
    params, grads = problem
    expected, u_product = reference_nadam(params, grads, **config)
    optimizer = Nadam(**config)
    assert_trajectories_close(run_optimizer(optimizer, params, grads), expected)
    np.testing.assert_allclose(float(optimizer.state["u_product"]), u_product, rtol=1e-14)


def test_u_product_is_a_scalar_of_the_parameter_dtype(backend):
    state = Nadam().init([backend.asarray(np.zeros(3, np.float32))])
    assert tuple(state["u_product"].shape) == () and state["u_product"].dtype == np.float32
    assert float(state["u_product"]) == 1.0
