"""Shared fixtures for the optimizer tests: a fixed float64 problem, a runner over the active backend and the
same run through optax, the independent reference."""
import numpy as np
import pytest

from nnkit.backends import active

SHAPES = ((3, 4), (4,), (2, 3, 2))
STEPS = 5


@pytest.fixture
def problem():
    """Fixed float64 parameters and the gradients of five steps (host NumPy arrays)."""
    rng = np.random.default_rng(1234)
    params = [rng.standard_normal(shape) for shape in SHAPES]
    grads = [[rng.standard_normal(shape) for shape in SHAPES] for _ in range(STEPS)]
    return params, grads


@pytest.fixture
def run_optimizer():
    """run(optimizer, params, grads, before_step=None) -> host copies of the parameters after each step.

    Runs on the active backend the way the model's train step does: init, then update with the state kept
    on the optimizer (`opt.state`). `before_step(index, optimizer)` runs before each step (to change the
    learning rate, say).
    """

    def run(optimizer, params, grads, before_step=None):
        backend = active.backend
        params = [backend.asarray(np.array(p)) for p in params]  # copies: fused updates write in place
        optimizer.state = optimizer.init(params)
        trajectory = []
        for index, step_grads in enumerate(grads):
            if before_step is not None:
                before_step(index, optimizer)
            step_grads = [backend.asarray(g) for g in step_grads]
            params, optimizer.state = optimizer.update(step_grads, optimizer.state, params)
            trajectory.append([np.array(backend.to_numpy(p)) for p in params])
        return trajectory

    return run


@pytest.fixture
def assert_trajectories_close():
    """assert_close(actual, expected, rtol, atol): every parameter after every step agrees."""

    def assert_close(actual, expected, rtol=1e-12, atol=1e-14):
        assert len(actual) == len(expected)
        for step, (got, want) in enumerate(zip(actual, expected)):
            for index, (a, b) in enumerate(zip(got, want)):
                np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"step {step}, param {index}")

    return assert_close


@pytest.fixture
def optax_trajectory():
    """run(make_transform, params, grads) -> the parameters after each step of `make_transform(optax)` (skips
    the test when optax or JAX is missing)."""

    def run(make_transform, params, grads):
        optax = pytest.importorskip("optax")
        jnp = pytest.importorskip("jax.numpy")
        transform = make_transform(optax)
        values = [jnp.asarray(p) for p in params]
        state = transform.init(values)
        trajectory = []
        for step_grads in grads:
            updates, state = transform.update([jnp.asarray(g) for g in step_grads], state, values)
            values = optax.apply_updates(values, updates)
            trajectory.append([np.asarray(v) for v in values])
        return trajectory

    return run


@pytest.fixture
def keras_trajectory():
    """run(make_optimizer, params, grads) -> the parameters after each step of `make_optimizer(keras.optimizers)`
    applied to float64 Keras Variables (skips the test when Keras 3 is missing; use with the float64 fixture)."""

    def run(make_optimizer, params, grads):
        from layer_checks import keras_or_skip

        keras = keras_or_skip()
        optimizer = make_optimizer(keras.optimizers)
        variables = [keras.Variable(p, dtype="float64") for p in params]
        trajectory = []
        for step_grads in grads:
            optimizer.apply_gradients(zip([keras.ops.convert_to_tensor(g, "float64") for g in step_grads], variables))
            trajectory.append([np.asarray(v.numpy()) for v in variables])
        return trajectory

    return run
