import numpy as np
import pytest

from nnkit.backends import active, get_backend
from nnkit.optimizers import SGD


def reference_sgd(params, grads, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None):
    """Keras 3's SGD in float64 NumPy: the parameters after each step."""
    params = [p.copy() for p in params]
    velocities = [np.zeros_like(p) for p in params]
    trajectory = []
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            if weight_decay is not None:
                params[i] = params[i] - params[i] * weight_decay * learning_rate
            if momentum == 0:
                params[i] = params[i] - g * learning_rate
                continue
            velocities[i] = velocities[i] * momentum - g * learning_rate
            if nesterov:
                params[i] = params[i] + (velocities[i] * momentum - g * learning_rate)
            else:
                params[i] = params[i] + velocities[i]
        trajectory.append([p.copy() for p in params])
    return trajectory


CONFIGS = [
    {},
    {"learning_rate": 0.1},
    {"learning_rate": 0.1, "momentum": 0.9},
    {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
    {"learning_rate": 0.1, "momentum": 0.5, "weight_decay": 0.2},
    {"learning_rate": 0.1, "weight_decay": 0.2},
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_trajectory_matches_keras_formulas(backend, float64, problem, run_optimizer, assert_trajectories_close,
                                           config):
    params, grads = problem
    expected = reference_sgd(params, grads, **config)
    assert_trajectories_close(run_optimizer(SGD(**config), params, grads), expected)


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_fused_and_generic_paths_agree(problem, run_optimizer, assert_trajectories_close, monkeypatch, config):
    params, grads = problem
    numpy_backend = get_backend("numpy")
    with active.using(numpy_backend):
        fused = run_optimizer(SGD(**config), params, grads)
        monkeypatch.setattr(numpy_backend, "fused_update", lambda kind: None)
        generic = run_optimizer(SGD(**config), params, grads)
    assert_trajectories_close(fused, generic, rtol=1e-13)


@pytest.mark.parametrize("config", CONFIGS[1:4], ids=str)
def test_fused_update_is_in_place_and_never_writes_gradients(problem, config):
    params, grads = problem
    with active.using(get_backend("numpy")):
        optimizer = SGD(**config)
        params = [p.copy() for p in params]
        state = optimizer.init(params)
        # One gradient array shared by two parameters of equal shape, and a read-only broadcast view.
        shared = grads[0][0].copy()
        view = np.broadcast_to(grads[0][1][:1], (4,))
        kept = [shared.copy(), view.copy()]
        step_grads = [shared, view, grads[0][2]]
        new_params, new_state = optimizer.update(step_grads, state, params)
    assert all(new is old for new, old in zip(new_params, params))
    assert new_state is state
    np.testing.assert_array_equal(shared, kept[0])
    np.testing.assert_array_equal(view, kept[1])


def test_read_only_buffers_take_the_generic_path(problem):
    params, grads = problem
    with active.using(get_backend("numpy")):
        optimizer = SGD(0.1, momentum=0.9)
        params = [p.copy() for p in params]
        for p in params:
            p.setflags(write=False)  # e.g. host views of JAX arrays after a backend switch
        before = [p.copy() for p in params]
        state = optimizer.init(params)
        new_params, _ = optimizer.update(grads[0], state, params)
    expected = reference_sgd(before, grads[:1], 0.1, 0.9)[0]
    for new, old, want in zip(new_params, params, expected):
        assert new is not old
        np.testing.assert_allclose(new, want, rtol=1e-13)
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p, b)


def test_defaults_and_momentum_validation():
    optimizer = SGD()
    assert (optimizer.learning_rate, optimizer.momentum, optimizer.nesterov) == (0.01, 0.0, False)
    assert optimizer.name == "SGD"
    assert SGD(momentum=1).momentum == 1.0
    for bad in (-0.1, 1.5, "0.9"):
        with pytest.raises(ValueError, match="momentum"):
            SGD(momentum=bad)


def test_state_has_momentum_only_when_used():
    with active.using(get_backend("numpy")):
        assert set(SGD().init([np.zeros(3)])) == {"iteration", "learning_rate"}
        assert set(SGD(momentum=0.9).init([np.zeros(3)])) == {"iteration", "learning_rate", "momentum"}


@pytest.mark.parametrize("nesterov", [False, True])
def test_matches_optax(float64, problem, run_optimizer, optax_trajectory, assert_trajectories_close, nesterov):
    params, grads = problem
    theirs = optax_trajectory(lambda optax: optax.sgd(0.1, momentum=0.9, nesterov=nesterov), params, grads)
    with active.using(get_backend("numpy")):
        ours = run_optimizer(SGD(0.1, momentum=0.9, nesterov=nesterov), params, grads)
    assert_trajectories_close(ours, theirs, rtol=1e-12)
