import math

import numpy as np
import pytest

from nnkit.backends import active, get_backend
from nnkit.optimizers import Adam


def reference_adam(params, grads, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                   weight_decay=None):
    """Keras 3's Adam in float64 NumPy: the parameters after each step."""
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    v_hat = [np.zeros_like(p) for p in params]
    trajectory = []
    for t, step_grads in enumerate(grads, start=1):
        alpha = learning_rate * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        for i, g in enumerate(step_grads):
            if weight_decay is not None:
                params[i] = params[i] - params[i] * weight_decay * learning_rate
            m[i] = m[i] + (g - m[i]) * (1 - beta_1)
            v[i] = v[i] + (g * g - v[i]) * (1 - beta_2)
            denominator = v[i]
            if amsgrad:
                v_hat[i] = np.maximum(v_hat[i], v[i])
                denominator = v_hat[i]
            params[i] = params[i] - m[i] * alpha / (np.sqrt(denominator) + epsilon)
        trajectory.append([p.copy() for p in params])
    return trajectory


CONFIGS = [
    {},
    {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3},
    {"learning_rate": 0.05, "amsgrad": True},
    {"learning_rate": 0.05, "weight_decay": 0.3},
]


def _grads_with_shrinking_tail(grads):
    """Gradients whose later steps are small, so amsgrad's running max of v differs from v."""
    return [[g * (1.0 if step < 2 else 0.1) for g in step_grads] for step, step_grads in enumerate(grads)]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_trajectory_matches_keras_formulas(backend, float64, problem, run_optimizer, assert_trajectories_close,
                                           config):
    params, grads = problem
    grads = _grads_with_shrinking_tail(grads)
    expected = reference_adam(params, grads, **config)
    assert_trajectories_close(run_optimizer(Adam(**config), params, grads), expected)


def test_amsgrad_changes_the_trajectory(problem):
    params, grads = problem
    grads = _grads_with_shrinking_tail(grads)
    plain = reference_adam(params, grads, 0.05)[-1]
    ams = reference_adam(params, grads, 0.05, amsgrad=True)[-1]
    assert not np.allclose(plain[0], ams[0], rtol=1e-6)


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_fused_and_generic_paths_agree(problem, run_optimizer, assert_trajectories_close, monkeypatch, config):
    params, grads = problem
    numpy_backend = get_backend("numpy")
    calls = []
    kernel = numpy_backend.fused_update("adam")

    def counting_kernel(*args, **kwargs):
        calls.append(None)
        return kernel(*args, **kwargs)

    with active.using(numpy_backend):
        monkeypatch.setattr(numpy_backend, "fused_update", lambda kind: counting_kernel if kind == "adam" else None)
        fused = run_optimizer(Adam(**config), params, grads)
        monkeypatch.setattr(numpy_backend, "fused_update", lambda kind: None)
        generic = run_optimizer(Adam(**config), params, grads)
    assert len(calls) == (0 if config.get("amsgrad") else len(grads))  # amsgrad is not fused
    assert_trajectories_close(fused, generic, rtol=1e-13)


def test_fused_update_is_in_place_and_never_writes_gradients(problem):
    params, grads = problem
    with active.using(get_backend("numpy")):
        optimizer = Adam(0.1)
        params = [p.copy() for p in params]
        state = optimizer.init(params)
        slots = [state["momentum"][0], state["velocity"][0]]
        shared = grads[0][0].copy()
        read_only = grads[0][2].copy()
        read_only.setflags(write=False)
        step_grads = [shared, np.broadcast_to(grads[0][1][:1], (4,)), read_only]
        new_params, new_state = optimizer.update(step_grads, state, params)
        new_params, new_state = optimizer.update([shared, step_grads[1], read_only], new_state, new_params)
    assert all(new is old for new, old in zip(new_params, params))
    assert new_state["momentum"][0] is slots[0] and new_state["velocity"][0] is slots[1]
    np.testing.assert_array_equal(shared, grads[0][0])
    np.testing.assert_array_equal(read_only, grads[0][2])
    assert int(new_state["iteration"]) == 2


def test_float32_parameters_stay_float32(backend):
    optimizer = Adam(0.01)
    params = [backend.asarray(np.ones((2, 3), np.float32))]
    state = optimizer.init(params)
    for _ in range(2):
        params, state = optimizer.update([backend.asarray(np.full((2, 3), 0.5, np.float32))], state, params)
    assert params[0].dtype == np.float32
    assert state["momentum"][0].dtype == np.float32 and state["learning_rate"].dtype == np.float32
    # Two steps of a constant gradient move each weight by about 2 * lr.
    np.testing.assert_allclose(backend.to_numpy(params[0]), 1.0 - 0.02, rtol=1e-5)


def test_defaults():
    optimizer = Adam()
    assert (optimizer.learning_rate, optimizer.beta_1, optimizer.beta_2, optimizer.epsilon, optimizer.amsgrad) == (
        0.001, 0.9, 0.999, 1e-7, False)
    assert optimizer.name == "adam" and optimizer.weight_decay is None
    assert Adam(amsgrad=True).slot_names == ("momentum", "velocity", "velocity_hat")
