import numpy as np
import pytest

import nnkit
from nnkit.optimizers import SGD, Adam, LossScaleOptimizer, deserialize, serialize


def test_steps_with_the_unscaled_gradients_and_grows_the_scale(float64, problem, run_optimizer,
                                                               assert_trajectories_close):
    """Gradients of the scaled loss (g * scale) give the inner optimizer's steps on g; every
    `dynamic_growth_steps` finite steps in a row double the scale (Keras' rule)."""
    params, grads = problem
    wrapped = LossScaleOptimizer(Adam(0.05), initial_scale=8.0, dynamic_growth_steps=2)
    scales = [8.0, 8.0, 16.0, 16.0, 32.0]  # doubled after every second finite step
    scaled = [[g * scale for g in step] for step, scale in zip(grads, scales)]
    assert_trajectories_close(run_optimizer(wrapped, params, scaled), run_optimizer(Adam(0.05), params, grads))
    assert float(wrapped.state["dynamic_scale"]) == 32.0 and int(wrapped.state["step_counter"]) == 1
    assert wrapped.iterations == 5

def test_a_non_finite_gradient_skips_the_step_and_halves_the_scale(backend, problem):
    params, grads = problem
    optimizer = LossScaleOptimizer(SGD(0.1, momentum=0.9), initial_scale=4.0, dynamic_growth_steps=3)
    values = [backend.asarray(np.array(p, np.float32)) for p in params]
    state = optimizer.init(values)
    update = backend.jit(optimizer.update)  # on JAX: the traced branch-free form, compiled once
    values, state = update([backend.asarray(np.float32(4) * g.astype(np.float32)) for g in grads[0]],
                                     state, values)
    before = [np.array(backend.to_numpy(v)) for v in values]
    bad = [backend.asarray(g.astype(np.float32)) for g in grads[1]]
    bad[1] = backend.asarray(np.full(bad[1].shape, np.inf, np.float32))
    values, state = update(bad, state, values)
    for got, want in zip(values, before):
        np.testing.assert_array_equal(backend.to_numpy(got), want)
    assert float(state["dynamic_scale"]) == 2.0 and int(state["step_counter"]) == 0
    assert int(state["iteration"]) == 1 and state["dynamic_scale"].dtype == np.float32


def test_fit_matches_the_inner_optimizer_alone(backend):
    """The train step differentiates the scaled loss; with power-of-two scales the weights are those of the
    inner optimizer alone, on every backend."""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    weights = []
    for optimizer in (Adam(0.01), LossScaleOptimizer(Adam(0.01), initial_scale=2.0**10, dynamic_growth_steps=2)):
        nnkit.set_random_seed(0)
        model = nnkit.Sequential([nnkit.layers.Input((4,)), nnkit.layers.Dense(2)])
        model.compile(optimizer=optimizer, loss="mse", backend=backend.name)
        history = model.fit(x, y, epochs=2, batch_size=4, verbose=0, shuffle=False)
        weights.append(model.get_weights())
    for mine, theirs in zip(*weights):
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-7)
    assert float(optimizer.state["dynamic_scale"]) == 2.0**14 and history.history["loss"][-1] < 10
    assert optimizer.learning_rate == pytest.approx(0.01)


def test_config_round_trip_and_keras_argument_checks():
    optimizer = LossScaleOptimizer(Adam(0.3, beta_1=0.5), initial_scale=64.0, dynamic_growth_steps=10, name="lso")
    config = serialize(optimizer)
    rebuilt = deserialize(config)
    assert type(rebuilt) is LossScaleOptimizer and type(rebuilt.inner_optimizer) is Adam
    assert rebuilt.get_config() == optimizer.get_config() and rebuilt.inner_optimizer.beta_1 == 0.5
    assert set(optimizer.get_config()) == {"name", "inner_optimizer", "initial_scale", "dynamic_growth_steps"}
    with pytest.raises(ValueError, match="clipnorm"):
        LossScaleOptimizer(Adam(), clipnorm=1.0)
    with pytest.raises(ValueError, match="dynamic=False"):
        LossScaleOptimizer(Adam(), dynamic=False)
    with pytest.raises(ValueError, match="foo"):
        LossScaleOptimizer(Adam(), foo=1)
    assert LossScaleOptimizer(SGD()).scale_loss(3.0) == 3.0 * 2.0**15
