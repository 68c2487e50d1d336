"""The base Optimizer: the state contract, jit, backends agreeing, clipping, EMA and the Keras surface."""
import warnings

import numpy as np
import pytest

from nnkit.backends import active, available_backends, get_backend
from nnkit.ops import Variable
from nnkit.optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop

CONFIGS = {
    "sgd": lambda: SGD(0.1),
    "sgd-momentum": lambda: SGD(0.1, momentum=0.9),
    "sgd-nesterov-decay": lambda: SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    "rmsprop": lambda: RMSprop(0.01),
    "rmsprop-centered-momentum": lambda: RMSprop(0.01, momentum=0.5, centered=True),
    "adam": lambda: Adam(0.05),
    "adam-amsgrad-clipnorm": lambda: Adam(0.05, amsgrad=True, clipnorm=1.0),
    "adamw-global-clipnorm": lambda: AdamW(0.05, global_clipnorm=2.0),
    "adagrad-clipvalue": lambda: Adagrad(0.5, clipvalue=0.5),
    "adadelta": lambda: Adadelta(1.0),
    "adamax": lambda: Adamax(0.05),
    "nadam": lambda: Nadam(0.05),
    "sgd-ema": lambda: SGD(0.1, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2),
    "adam-ema": lambda: Adam(0.05, use_ema=True),
}
needs_jax = pytest.mark.skipif("jax" not in available_backends(), reason="JAX is not installed")


def _leaves(tree):
    if isinstance(tree, dict):
        return [leaf for value in tree.values() for leaf in _leaves(value)]
    if isinstance(tree, (list, tuple)):
        return [leaf for value in tree for leaf in _leaves(value)]
    return [tree]


@pytest.mark.parametrize("name", CONFIGS)
def test_state_is_a_tree_of_backend_arrays(backend, problem, name):
    params, grads = problem
    optimizer = CONFIGS[name]()
    params = [backend.asarray(p.astype(np.float32)) for p in params]
    state = optimizer.init(params)
    assert state["iteration"].dtype == np.int32 and tuple(state["iteration"].shape) == ()
    assert state["learning_rate"].dtype == np.float32 and tuple(state["learning_rate"].shape) == ()
    for slot in optimizer.slot_names:
        assert [tuple(s.shape) for s in state[slot]] == [tuple(p.shape) for p in params]
    for _ in range(2):
        params, state = optimizer.update([backend.asarray(g.astype(np.float32)) for g in grads[0]], state, params)
        leaves = _leaves(state)
        assert all(backend.is_array(leaf) for leaf in leaves), [type(leaf) for leaf in leaves]
        assert all(leaf.dtype in (np.int32, np.float32) for leaf in leaves)
        assert all(backend.is_array(p) and p.dtype == np.float32 for p in params)
    assert int(state["iteration"]) == 2


@pytest.mark.parametrize("name", CONFIGS)
def test_generic_update_is_pure(problem, monkeypatch, name):
    params, grads = problem
    numpy_backend = get_backend("numpy")
    with active.using(numpy_backend):
        monkeypatch.setattr(numpy_backend, "fused_update", lambda kind: None)
        optimizer = CONFIGS[name]()
        state = optimizer.init(params)
        _, state = optimizer.update(grads[0], state, params)
        snapshot = [np.array(leaf) for leaf in _leaves(state)]
        before = [p.copy() for p in params]
        new_params, new_state = optimizer.update(grads[1], state, params)
    assert all(np.array_equal(a, b) for a, b in zip(snapshot, [np.array(leaf) for leaf in _leaves(state)]))
    assert all(np.array_equal(p, b) for p, b in zip(params, before))
    assert all(new is not old for new, old in zip(new_params, params))


@needs_jax
@pytest.mark.parametrize("name", CONFIGS)
def test_numpy_and_jax_agree(float64, problem, run_optimizer, assert_trajectories_close, name):
    params, grads = problem
    with active.using(get_backend("numpy")):
        on_numpy = run_optimizer(CONFIGS[name](), params, grads)
    with active.using(get_backend("jax")):
        on_jax = run_optimizer(CONFIGS[name](), params, grads)
    assert_trajectories_close(on_jax, on_numpy, rtol=1e-12)


@needs_jax
@pytest.mark.parametrize("name", CONFIGS)
def test_update_compiles_once_under_jit_with_donated_buffers(float64, problem, run_optimizer,
                                                             assert_trajectories_close, name):
    params, grads = problem

    def before_step(index, optimizer):
        if index == 3:
            optimizer.learning_rate = optimizer.learning_rate * 0.5

    with active.using(get_backend("numpy")):
        expected = run_optimizer(CONFIGS[name](), params, grads, before_step)
    jax_backend = get_backend("jax")
    with active.using(jax_backend):
        optimizer = CONFIGS[name]()
        traces = []

        def step(step_grads, state, values):
            traces.append(None)
            return optimizer.update(step_grads, state, values)

        compiled = jax_backend.jit(step, donate_argnums=(1, 2))
        values = [jax_backend.asarray(p) for p in params]
        optimizer.build(values)
        trajectory = []
        for index, step_grads in enumerate(grads):
            before_step(index, optimizer)
            donated = _leaves(optimizer.state) + values
            values, optimizer.state = compiled([jax_backend.asarray(g) for g in step_grads], optimizer.state, values)
            assert all(array.is_deleted() for array in donated)
            trajectory.append([np.array(v) for v in values])  # copies: a host view would pin the buffer
    assert len(traces) == 1  # the learning-rate change went through the state, not a retrace
    assert optimizer.iterations == len(grads)
    assert_trajectories_close(trajectory, expected, rtol=1e-12)


@pytest.mark.parametrize("name", ["sgd-momentum", "adam", "rmsprop"])
def test_setting_the_learning_rate_between_steps_takes_effect(backend, float64, problem, run_optimizer,
                                                               assert_trajectories_close, name):
    params, grads = problem

    def slow_down(index, optimizer):
        if index == 2:
            optimizer.learning_rate = 0.001

    changed = run_optimizer(CONFIGS[name](), params, grads, slow_down)
    unchanged = run_optimizer(CONFIGS[name](), params, grads)
    assert_trajectories_close(changed[:2], unchanged[:2])
    assert not np.allclose(changed[2][0], unchanged[2][0], rtol=1e-6)
    optimizer = CONFIGS[name]()
    run_optimizer(optimizer, params, grads, slow_down)
    assert optimizer.learning_rate == pytest.approx(0.001) and optimizer.lr == pytest.approx(0.001)
    # Restarting from the new rate by hand gives the same trajectory: the state carried the rate.
    fresh = CONFIGS[name]()

    def restart(index, optimizer):
        if index == 2:
            optimizer.state["learning_rate"] = backend.asarray(np.float64(0.001))

    assert_trajectories_close(changed, run_optimizer(fresh, params, grads, restart))


def reference_clip(grads, clipnorm=None, clipvalue=None, global_clipnorm=None):
    """Keras' clipping of one step's gradients."""
    if clipnorm:
        return [g * clipnorm / max(np.sqrt(np.sum(g * g)), clipnorm) for g in grads]
    if global_clipnorm:
        norm = np.sqrt(sum(np.sum(g * g) for g in grads))
        return [g * global_clipnorm * min(1.0 / norm, 1.0 / global_clipnorm) for g in grads]
    if clipvalue:
        return [np.clip(g, -clipvalue, clipvalue) for g in grads]
    return grads


@pytest.mark.parametrize("cls", [SGD, RMSprop], ids=lambda c: c.__name__)  # fused and generic on NumPy
@pytest.mark.parametrize("clip", [{"clipnorm": 2.5}, {"global_clipnorm": 4.0}, {"clipvalue": 0.7}], ids=str)
def test_gradient_clipping(backend, float64, problem, run_optimizer, assert_trajectories_close, cls, clip):
    params, grads = problem
    clipped = [reference_clip(step_grads, **clip) for step_grads in grads]
    assert any(not np.allclose(a, b) for step in zip(clipped, grads) for a, b in zip(*step))  # clipping bites
    expected = run_optimizer(cls(0.1), params, clipped)
    assert_trajectories_close(run_optimizer(cls(0.1, **clip), params, grads), expected)


def test_global_clipnorm_below_the_limit_changes_nothing(backend, float64, problem, run_optimizer,
                                                          assert_trajectories_close):
    params, grads = problem
    expected = run_optimizer(SGD(0.1), params, grads)
    assert_trajectories_close(run_optimizer(SGD(0.1, global_clipnorm=1e6), params, grads), expected)


def test_weight_decay_on_a_generic_optimizer(backend, float64, problem, run_optimizer, assert_trajectories_close):
    # Keras applies p -= p * wd * lr before the update; with zero gradients Adagrad then leaves p alone.
    params, grads = problem
    zero_grads = [[np.zeros_like(g) for g in step] for step in grads[:2]]
    trajectory = run_optimizer(Adagrad(0.5, weight_decay=0.1), params, zero_grads)
    once = [p - p * 0.1 * 0.5 for p in params]
    twice = [p - p * 0.1 * 0.5 for p in once]
    assert_trajectories_close(trajectory, [once, twice])


def reference_ema_sgd(params, grads, learning_rate, ema_momentum, frequency):
    """SGD plus Keras' EMA: averages of the updated weights; the weights overwritten every `frequency` steps."""
    params = [p.copy() for p in params]
    averages = [np.zeros_like(p) for p in params]
    trajectory = []
    for iteration, step_grads in enumerate(grads):
        momentum = 0.0 if iteration == 0 else ema_momentum
        for i, g in enumerate(step_grads):
            params[i] = params[i] - g * learning_rate
            averages[i] = momentum * averages[i] + (1 - momentum) * params[i]
            if frequency and (iteration + 1) % frequency == 0:
                params[i] = averages[i].copy()
        trajectory.append([p.copy() for p in params])
    return trajectory, averages


@pytest.mark.parametrize("frequency", [None, 2])
def test_exponential_moving_average(backend, float64, problem, run_optimizer, assert_trajectories_close, frequency):
    params, grads = problem
    expected, averages = reference_ema_sgd(params, grads, 0.1, 0.5, frequency)
    optimizer = SGD(0.1, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=frequency)
    assert_trajectories_close(run_optimizer(optimizer, params, grads), expected)
    variables = [Variable(p) for p in params]
    optimizer.finalize_variable_values(variables)
    for variable, average, state_average in zip(variables, averages, optimizer.state["average"]):
        np.testing.assert_allclose(variable.numpy(), average, rtol=1e-12)
        assert variable.value is not state_average


def test_ema_arguments_are_checked():
    with pytest.raises(ValueError, match="ema_momentum"):
        Adam(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="ema_overwrite_frequency"):
        Adam(use_ema=True, ema_overwrite_frequency=0)


def test_only_one_clipping_argument():
    with pytest.raises(ValueError, match="Only one of"):
        SGD(clipnorm=1.0, clipvalue=1.0)


def test_legacy_lr_keyword_and_alias():
    optimizer = RMSprop(lr=0.25)
    assert optimizer.learning_rate == 0.25 and optimizer.lr == 0.25
    assert RMSprop(lr=0.25).get_config()["learning_rate"] == 0.25
    optimizer.lr = 0.5
    assert optimizer.learning_rate == 0.5
    assert Adam(0.1, lr=0.3).learning_rate == 0.3  # like tf.keras 2: `lr` wins


def test_legacy_decay_warns_and_is_ignored():
    with pytest.warns(UserWarning, match="decay"):
        optimizer = SGD(lr=0.1, decay=1e-6, momentum=0.9, nesterov=True)
    assert optimizer.learning_rate == 0.1 and "decay" not in optimizer.get_config()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SGD(decay=0.0)


@pytest.mark.parametrize(
    "cls, wrong, right",
    [(Adam, "learnig_rate", "learning_rate"), (SGD, "momentun", "momentum"), (RMSprop, "clip_norm", "clipnorm"),
     (AdamW, "weight_decy", "weight_decay"), (Adagrad, "initial_accumulator", "initial_accumulator_value")],
)
def test_misspelt_keyword_is_a_type_error_with_a_suggestion(cls, wrong, right):
    with pytest.raises(TypeError, match=f"unexpected keyword argument '{wrong}'. Did you mean '{right}'"):
        cls(**{wrong: 0.1})


def test_learning_rate_must_be_a_number_or_schedule(backend):
    for bad in ("0.1", None, True, [0.1], np.ones(2)):
        with pytest.raises(ValueError, match="learning_rate"):
            Adam(learning_rate=bad)
    assert Adam(learning_rate=1).learning_rate == 1.0
    assert Adam(learning_rate=np.float32(0.5)).learning_rate == 0.5
    optimizer = Adam()
    optimizer.learning_rate = backend.asarray(np.float32(0.25))  # a scalar array, e.g. a schedule's value
    assert optimizer.learning_rate == 0.25 and type(optimizer.learning_rate) is float


def test_learning_rate_before_and_after_build(backend):
    optimizer = SGD(0.1)
    assert optimizer.learning_rate == 0.1 and optimizer.iterations == 0 and not optimizer.built
    optimizer.learning_rate = 0.2
    optimizer.build([backend.asarray(np.zeros(2, np.float32))])
    assert optimizer.built and optimizer.learning_rate == pytest.approx(0.2)
    optimizer.learning_rate = 0.3
    assert backend.is_array(optimizer.state["learning_rate"])
    assert optimizer.state["learning_rate"].dtype == np.float32
    assert float(optimizer.state["learning_rate"]) == pytest.approx(0.3)


@needs_jax
def test_learning_rate_set_while_another_backend_is_active():
    jax_backend = get_backend("jax")
    optimizer = Adam(0.1)
    with active.using(jax_backend):
        optimizer.build([jax_backend.asarray(np.zeros(2, np.float32))])
    with active.using(get_backend("numpy")):
        optimizer.learning_rate = 0.5  # e.g. a callback running outside the model's backend block
    assert jax_backend.is_array(optimizer.state["learning_rate"])
    assert optimizer.learning_rate == 0.5


def test_variables_order_and_set_weights(backend):
    optimizer = Adam(0.1)
    params = [backend.asarray(np.ones((2, 2), np.float32)), backend.asarray(np.ones(3, np.float32))]
    optimizer.build(params)
    params, optimizer.state = optimizer.update(
        [backend.asarray(np.full((2, 2), 0.5, np.float32)), backend.asarray(np.full(3, 0.5, np.float32))],
        optimizer.state, params)
    variables = optimizer.variables
    assert [tuple(v.shape) for v in variables] == [(), (), (2, 2), (3,), (2, 2), (3,)]
    assert int(variables[0]) == 1 and float(variables[1]) == pytest.approx(0.1)
    np.testing.assert_allclose(backend.to_numpy(variables[2]), 0.05, rtol=1e-6)  # momentum = 0.1 g

    saved = [np.array(backend.to_numpy(v)) for v in variables]
    restored = Adam(0.1)
    restored.build([backend.asarray(np.ones((2, 2), np.float32)), backend.asarray(np.ones(3, np.float32))])
    restored.set_weights(saved)
    assert restored.iterations == 1
    for got, want in zip(restored.variables, saved):
        assert backend.is_array(got)
        np.testing.assert_array_equal(backend.to_numpy(got), want)
    saved[2][0, 0] = 123.0  # the loaded state must not alias the caller's arrays
    assert float(backend.to_numpy(restored.state["momentum"][0])[0, 0]) != 123.0
    with pytest.raises(ValueError, match="shape"):
        restored.set_weights([saved[0], saved[1], np.zeros(5), saved[3], saved[4], saved[5]])
    with pytest.raises(ValueError, match="built"):
        Adam().set_weights(saved)


def test_nadam_variables_end_with_u_product(backend):
    optimizer = Nadam()
    optimizer.build([backend.asarray(np.zeros(3, np.float32))])
    assert [tuple(v.shape) for v in optimizer.variables] == [(), (), (3,), (3,), ()]
    assert float(optimizer.variables[-1]) == 1.0


@pytest.mark.parametrize("name", CONFIGS)
def test_config_round_trip(name):
    optimizer = CONFIGS[name]()
    config = optimizer.get_config()
    rebuilt = type(optimizer).from_config(config)
    assert rebuilt.get_config() == config
    assert type(rebuilt) is type(optimizer)
    assert config["name"] == optimizer.name


def test_config_has_keras_keys():
    config = Adam(0.01, beta_1=0.8, clipnorm=1.0, name="opt").get_config()
    assert config == {
        "name": "opt", "learning_rate": 0.01, "weight_decay": None, "clipnorm": 1.0, "global_clipnorm": None,
        "clipvalue": None, "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
        "beta_1": 0.8, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False,
    }


def test_stateless_apply_gives_what_apply_gives(backend):
    """Keras 3's pure update for custom train steps: the same new values and optimizer variables as apply()."""
    params = [np.array([1.0, -2.0], np.float32), np.array([[0.5]], np.float32)]
    grads = [np.array([0.3, 0.1], np.float32), np.array([[-1.0]], np.float32)]
    stateful = Adam(0.1)
    variables = [Variable(p.copy()) for p in params]
    for _ in range(2):
        stateful.apply([backend.asarray(g) for g in grads], variables)
    pure = Adam(0.1)
    pure.build([backend.asarray(p) for p in params])
    values, optimizer_values = [backend.asarray(p.copy()) for p in params], pure.variables
    for _ in range(2):
        values, optimizer_values = pure.stateless_apply(optimizer_values, [backend.asarray(g) for g in grads], values)
    for value, variable in zip(values, variables):
        np.testing.assert_allclose(np.asarray(value), variable.numpy(), rtol=1e-6)
    for value, expected in zip(optimizer_values, stateful.variables):
        np.testing.assert_allclose(np.asarray(value), np.asarray(expected), rtol=1e-6)
    with pytest.raises(ValueError, match="build the optimizer first"):
        Adam(0.1).stateless_apply([], [], [])
    with pytest.raises(ValueError, match="needs 6 optimizer variables"):
        pure.stateless_apply(optimizer_values[:2], grads, values)
