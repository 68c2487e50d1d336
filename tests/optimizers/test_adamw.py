import math

import numpy as np
import pytest

from nnkit.backends import active, get_backend
from nnkit.optimizers import Adam, AdamW


def reference_adamw(params, grads, learning_rate, weight_decay, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras 3's AdamW in float64 NumPy: p -= p * wd * lr, then Adam's step; the parameters after each step."""
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    trajectory = []
    for t, step_grads in enumerate(grads, start=1):
        alpha = learning_rate * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        for i, g in enumerate(step_grads):
            params[i] = params[i] - params[i] * weight_decay * learning_rate
            m[i] = m[i] + (g - m[i]) * (1 - beta_1)
            v[i] = v[i] + (g * g - v[i]) * (1 - beta_2)
            params[i] = params[i] - m[i] * alpha / (np.sqrt(v[i]) + epsilon)
        trajectory.append([p.copy() for p in params])
    return trajectory


def test_default_weight_decay_matches_keras_formulas(backend, float64, problem, run_optimizer,
                                                      assert_trajectories_close):
    params, grads = problem
    expected = reference_adamw(params, grads, learning_rate=0.05, weight_decay=0.004)
    assert_trajectories_close(run_optimizer(AdamW(0.05), params, grads), expected)


def test_decay_changes_the_trajectory(problem, run_optimizer):
    params, grads = problem
    with active.using(get_backend("numpy")):
        decayed = run_optimizer(AdamW(0.05, weight_decay=0.5), params, grads)[-1]
        plain = run_optimizer(Adam(0.05), params, grads)[-1]
    assert abs(decayed[0] - plain[0]).max() > 1e-3


def test_fused_and_generic_paths_agree(problem, run_optimizer, assert_trajectories_close, monkeypatch):
    params, grads = problem
    numpy_backend = get_backend("numpy")
    with active.using(numpy_backend):
        fused = run_optimizer(AdamW(0.05, weight_decay=0.2), params, grads)
        monkeypatch.setattr(numpy_backend, "fused_update", lambda kind: None)
        generic = run_optimizer(AdamW(0.05, weight_decay=0.2), params, grads)
    assert_trajectories_close(fused, generic, rtol=1e-13)


def test_defaults_and_weight_decay_required():
    optimizer = AdamW()
    assert (optimizer.learning_rate, optimizer.weight_decay, optimizer.name) == (0.001, 0.004, "adamw")
    assert AdamW(amsgrad=True, beta_1=0.5).get_config()["beta_1"] == 0.5
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(weight_decay=None)
