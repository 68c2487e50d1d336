import math

import numpy as np
import pytest

from nnkit.backends import active, available_backends, get_backend
from nnkit.optimizers import SGD, Adam, get, schedules
from nnkit.optimizers.schedules import (
    CosineDecay, CosineDecayRestarts, ExponentialDecay, InverseTimeDecay, LearningRateSchedule,
    PiecewiseConstantDecay, PolynomialDecay,
)

# (schedule, {step: value}) with values worked out by hand from Keras' formulas.
KNOWN = [
    (ExponentialDecay(0.1, 10, 0.5), {0: 0.1, 5: 0.1 * 0.5**0.5, 10: 0.05, 20: 0.025}),
    (ExponentialDecay(0.1, 10, 0.5, staircase=True), {0: 0.1, 9: 0.1, 15: 0.05, 20: 0.025}),
    (PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]), {0: 1.0, 10: 1.0, 11: 0.5, 20: 0.5, 21: 0.1, 500: 0.1}),
    (PiecewiseConstantDecay([3], [0.2, 0.1]), {3: 0.2, 4: 0.1}),
    (PolynomialDecay(0.1, 10, 0.01, power=2.0), {0: 0.1, 5: 0.09 * 0.25 + 0.01, 10: 0.01, 20: 0.01}),
    (PolynomialDecay(0.1, 10, 0.01, power=2.0, cycle=True), {0: 0.1, 10: 0.01, 15: 0.09 * 0.0625 + 0.01}),
    (InverseTimeDecay(0.1, 10, 0.5), {0: 0.1, 10: 0.1 / 1.5, 15: 0.1 / 1.75}),
    (InverseTimeDecay(0.1, 10, 0.5, staircase=True), {15: 0.1 / 1.5, 20: 0.05}),
    (CosineDecay(1.0, 10), {0: 1.0, 5: 0.5, 10: 0.0, 20: 0.0}),
    (CosineDecay(1.0, 10, alpha=0.1), {5: 0.55, 10: 0.1}),
    (CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=4), {0: 0.0, 2: 0.5, 4: 1.0, 9: 0.5, 14: 0.0, 99: 0.0}),
    (CosineDecay(0.5, 10, warmup_target=1.0), {0: 1.0, 5: 0.5}),
    (CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5), {0: 1.0, 5: 0.5, 10: 0.5, 20: 0.25, 30: 0.25}),
    (CosineDecayRestarts(1.0, 10, t_mul=1.0, m_mul=1.0, alpha=0.2), {5: 0.6, 15: 0.6, 20: 1.0}),
]


@pytest.mark.parametrize("schedule, values", KNOWN, ids=lambda x: type(x).__name__ if not isinstance(x, dict) else "")
def test_values_at_known_steps(backend, schedule, values):
    for step, expected in values.items():
        rate = schedule(backend.asarray(np.int32(step)))
        assert rate.dtype == np.float32  # the default float type, as in Keras
        assert float(rate) == pytest.approx(expected, rel=1e-6, abs=1e-7), f"step {step}"


@pytest.mark.skipif("jax" not in available_backends(), reason="JAX is not installed")
@pytest.mark.parametrize("schedule, values", KNOWN, ids=lambda x: type(x).__name__ if not isinstance(x, dict) else "")
def test_schedules_trace_under_jit(schedule, values):
    import jax
    import jax.numpy as jnp

    with active.using(get_backend("jax")):
        compiled = jax.jit(schedule)
        for step, expected in values.items():
            assert float(compiled(jnp.int32(step))) == pytest.approx(expected, rel=1e-6, abs=1e-7)


def test_agrees_with_optax_over_many_steps(backend):
    optax = pytest.importorskip("optax")
    pairs = [
        (ExponentialDecay(0.3, 7, 0.8), optax.exponential_decay(0.3, 7, 0.8)),
        (ExponentialDecay(0.3, 7, 0.8, staircase=True), optax.exponential_decay(0.3, 7, 0.8, staircase=True)),
        (CosineDecay(0.3, 40, alpha=0.1), optax.cosine_decay_schedule(0.3, 40, alpha=0.1)),
        (PolynomialDecay(0.3, 40, 0.02, power=1.5), optax.polynomial_schedule(0.3, 0.02, 1.5, 40)),
    ]
    for ours, theirs in pairs:
        for step in range(0, 60, 3):
            assert float(ours(backend.asarray(np.int32(step)))) == pytest.approx(float(theirs(step)), rel=1e-5)


def test_optimizer_follows_its_schedule(backend, float64, problem, run_optimizer, assert_trajectories_close):
    # Rates that are exact in float32, so the float64 reference is exact too. Keras evaluates the schedule
    # at the iteration count before the step: 0 for the first step.
    params, grads = problem
    schedule = PiecewiseConstantDecay([1, 3], [0.5, 0.25, 0.125])
    rates = [0.5, 0.5, 0.25, 0.25, 0.125]
    expected, current = [], [p.copy() for p in params]
    for rate, step_grads in zip(rates, grads):
        current = [p - rate * g for p, g in zip(current, step_grads)]
        expected.append(current)
    optimizer = SGD(learning_rate=schedule)
    assert_trajectories_close(run_optimizer(optimizer, params, grads), expected)
    assert "learning_rate" not in optimizer.state
    assert optimizer.learning_rate is schedule


@pytest.mark.parametrize("fused", [True, False])
def test_adam_with_a_schedule_fused_or_not(problem, run_optimizer, assert_trajectories_close, monkeypatch, fused):
    params, grads = problem
    numpy_backend = get_backend("numpy")
    schedule = ExponentialDecay(0.5, 1, 0.5)  # 0.5, 0.25, ... exact in float32

    def set_rate(rate):
        def before_step(index, optimizer):
            optimizer.learning_rate = rate(index)
        return before_step

    with active.using(numpy_backend):
        if not fused:
            monkeypatch.setattr(numpy_backend, "fused_update", lambda kind: None)
        scheduled = run_optimizer(Adam(schedule), params, grads)
        by_hand = run_optimizer(Adam(0.5), params, grads, set_rate(lambda index: 0.5 * 0.5**index))
    assert_trajectories_close(scheduled, by_hand, rtol=1e-14)


def test_learning_rate_setter_and_schedules(backend):
    optimizer = Adam(ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match="not settable"):
        optimizer.learning_rate = 0.01
    plain = Adam(0.1)
    plain.build([backend.asarray(np.zeros(2, np.float32))])
    plain.learning_rate = CosineDecay(0.1, 100)
    assert isinstance(plain.learning_rate, CosineDecay) and "learning_rate" not in plain.state
    params, plain.state = plain.update([backend.asarray(np.ones(2, np.float32))], plain.state,
                                       [backend.asarray(np.zeros(2, np.float32))])
    np.testing.assert_allclose(backend.to_numpy(params[0]), -0.1, rtol=1e-5)


@pytest.mark.parametrize("schedule, values", KNOWN, ids=lambda x: type(x).__name__ if not isinstance(x, dict) else "")
def test_config_round_trip(schedule, values):
    config = schedules.serialize(schedule)
    rebuilt = schedules.deserialize(config)
    assert type(rebuilt) is type(schedule) and rebuilt.get_config() == schedule.get_config()
    assert type(schedule).from_config(schedule.get_config()).get_config() == schedule.get_config()


def test_optimizer_config_carries_its_schedule():
    optimizer = SGD(ExponentialDecay(0.1, 10, 0.5, staircase=True), momentum=0.9)
    config = optimizer.get_config()
    assert config["learning_rate"]["class_name"] == "ExponentialDecay"
    rebuilt = get({"class_name": "SGD", "config": config})
    assert isinstance(rebuilt.learning_rate, ExponentialDecay) and rebuilt.learning_rate.staircase


def test_custom_schedule_round_trips_with_custom_objects(backend):
    class Halving(LearningRateSchedule):
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, step):
            return backend.asarray(self.rate, dtype="float32") / (1 + step)

        def get_config(self):
            return {"rate": self.rate}

    optimizer = SGD(Halving(0.5))
    rebuilt = SGD.from_config(optimizer.get_config(), custom_objects={"Halving": Halving})
    assert rebuilt.learning_rate.rate == 0.5
    with pytest.raises(ValueError, match="custom_objects"):
        SGD.from_config(optimizer.get_config())


def test_errors():
    with pytest.raises(ValueError, match="decay_steps"):
        ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="one more value"):
        PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="Did you mean 'CosineDecay'"):
        schedules.deserialize({"class_name": "CosinDecay", "config": {}})
    with pytest.raises(NotImplementedError):
        LearningRateSchedule()(0)


def test_cosine_warmup_is_linear():
    schedule = CosineDecay(0.1, 100, warmup_target=0.5, warmup_steps=8)
    rates = [float(schedule(np.int32(step))) for step in range(9)]
    np.testing.assert_allclose(rates, [0.1 + 0.05 * step for step in range(9)], rtol=1e-6)
    assert math.isclose(float(schedule(np.int32(58))), 0.25, rel_tol=1e-6)
