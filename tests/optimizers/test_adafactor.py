import numpy as np
import pytest

from gradcheck import backend_params

from nnkit.optimizers import Adafactor


def reference_adafactor(params, grads, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                        clip_threshold=1.0, relative_step=True):
    """Keras 3's Adafactor in float64 NumPy: the parameters after each step."""
    params = [p.copy() for p in params]
    r = [np.zeros(p.shape[:-1]) for p in params]
    c = [np.zeros(p.shape[:-2] + p.shape[-1:]) for p in params]
    v = [np.zeros_like(p) for p in params]
    rms = lambda x: np.sqrt(np.mean(x**2))  # noqa: E731
    trajectory = []
    for t, step_grads in enumerate(grads, start=1):
        rho = min(learning_rate, 1 / np.sqrt(t))
        beta_2 = 1 - t**beta_2_decay
        for i, g in enumerate(step_grads):
            alpha = max(epsilon_2, rms(params[i])) * rho
            g2 = g * g + epsilon_1
            if params[i].ndim >= 2:
                r[i] = beta_2 * r[i] + (1 - beta_2) * g2.mean(-1)
                c[i] = beta_2 * c[i] + (1 - beta_2) * g2.mean(-2)
                v[i] = (r[i] / r[i].mean(-1, keepdims=True))[..., None] * c[i][..., None, :]
            else:
                v[i] = beta_2 * v[i] + (1 - beta_2) * g2
            u = g / np.sqrt(v[i])
            params[i] = params[i] - alpha * u / max(1.0, rms(u) / clip_threshold)
        trajectory.append([p.copy() for p in params])
    return trajectory


CONFIGS = [{}, {"learning_rate": 0.5, "beta_2_decay": -0.5, "epsilon_2": 0.1, "clip_threshold": 0.5}]


# Every configuration on the tape; the first also on JAX (each new shape there is a compile).
@pytest.mark.parametrize("backend, config", backend_params(dict(enumerate(CONFIGS)), lambda index, _: index == 0),
                         indirect=["backend"])
def test_trajectory_matches_keras_formulas(backend, float64, problem, run_optimizer, assert_trajectories_close,
                                           config):
    params, grads = problem
    expected = reference_adafactor(params, grads, **config)
    assert_trajectories_close(run_optimizer(Adafactor(**config), params, grads), expected, rtol=1e-11)


def test_matches_keras(float64, problem, run_optimizer, assert_trajectories_close, keras_trajectory):
    params, grads = problem[0], problem[1][:3]
    expected = keras_trajectory(lambda optimizers: optimizers.Adafactor(learning_rate=0.1), params, grads)
    assert_trajectories_close(run_optimizer(Adafactor(0.1), params, grads), expected, rtol=1e-6, atol=1e-8)


def test_matrices_keep_factored_second_moments(backend):
    optimizer = Adafactor()
    state = optimizer.init([backend.asarray(np.ones((2, 3, 4), np.float32)), backend.asarray(np.ones(5, np.float32))])
    assert [tuple(s.shape) for s in state["r"]] == [(2, 3), ()]
    assert [tuple(s.shape) for s in state["c"]] == [(2, 4), ()]
    assert optimizer.get_config()["beta_2_decay"] == -0.8 and optimizer.name == "adafactor"
