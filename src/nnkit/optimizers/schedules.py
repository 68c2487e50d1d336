"""Learning-rate schedules with Keras 3's names, defaults and formulas: iteration (an int array) -> rate.

Written with nnkit.ops and free of Python branches on the step, so they trace under jit; rates come out in floatx.
"""
import math

import nnkit.ops as ops
from nnkit.config import floatx
from nnkit.naming import look_up


class LearningRateSchedule:
    """Base class: `__call__(step)` gives the rate at `step`; `get_config()` its constructor arguments."""

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        """Rebuild a schedule from `get_config()` output."""
        return cls(**config)


def _positive_steps(name, value):
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


def _rate(value):
    """A Python rate as a scalar array of the default float type."""
    return ops.convert_to_tensor(value, dtype=floatx())


def _ceil(x):
    return ops.negative(ops.floor(ops.negative(x)))


class _RatioDecay(LearningRateSchedule):
    """Keras' (initial_learning_rate, decay_steps, decay_rate, staircase) schedules: a decay of the initial
    rate by decay_rate as a function of step / decay_steps, floored when `staircase`."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        _positive_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name or type(self).__name__

    def _initial_and_progress(self, step):
        """(the initial rate in floatx, step / decay_steps, floored when `staircase`)."""
        initial = _rate(self.initial_learning_rate)
        progress = ops.divide(ops.cast(step, initial.dtype), self.decay_steps)
        return initial, ops.floor(progress) if self.staircase else progress

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_RatioDecay):
    """initial_learning_rate * decay_rate ** (step / decay_steps); the exponent floored when `staircase`."""

    def __call__(self, step):
        initial, progress = self._initial_and_progress(step)
        return ops.multiply(initial, ops.power(self.decay_rate, progress))


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i], then
    values[-1]."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1 or not boundaries:
            raise ValueError(
                "PiecewiseConstantDecay needs at least one boundary and exactly one more value than boundaries. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and values={values} of length "
                f"{len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        dtype = floatx()
        rate = ops.multiply(ops.cast(ops.less_equal(step, self.boundaries[0]), dtype), self.values[0])
        rate = ops.add(rate, ops.multiply(ops.cast(ops.greater(step, self.boundaries[-1]), dtype), self.values[-1]))
        for low, high, value in zip(self.boundaries[:-1], self.boundaries[1:], self.values[1:-1]):
            inside = ops.logical_and(ops.greater(step, low), ops.less_equal(step, high))
            rate = ops.add(rate, ops.multiply(ops.cast(inside, dtype), value))
        return rate

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """(initial - end) * (1 - step / decay_steps) ** power + end, the step capped at decay_steps (or, with
    `cycle`, decay_steps stretched to the next multiple above the step)."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                 name="PolynomialDecay"):
        _positive_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        initial = _rate(self.initial_learning_rate)
        step = ops.cast(step, initial.dtype)
        decay_steps = self.decay_steps
        if self.cycle:
            # The first multiple of decay_steps at or above the step (1 at step 0).
            decay_steps = ops.multiply(ops.maximum(_ceil(ops.divide(step, decay_steps)), 1.0), decay_steps)
        else:
            step = ops.minimum(step, decay_steps)
        remaining = ops.subtract(1.0, ops.divide(step, decay_steps))
        span = ops.subtract(initial, self.end_learning_rate)
        return ops.add(ops.multiply(span, ops.power(remaining, self.power)), self.end_learning_rate)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(_RatioDecay):
    """initial_learning_rate / (1 + decay_rate * step / decay_steps); the ratio floored when `staircase`."""

    def __call__(self, step):
        initial, progress = self._initial_and_progress(step)
        return ops.divide(initial, ops.add(1.0, ops.multiply(self.decay_rate, progress)))


def _cosine(fraction, alpha):
    """(1 - alpha) * (1 + cos(pi * fraction)) / 2 + alpha."""
    cosine = ops.multiply(0.5, ops.add(1.0, ops.cos(ops.multiply(math.pi, fraction))))
    return ops.add(ops.multiply(1.0 - alpha, cosine), alpha)


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup from initial_learning_rate to warmup_target over warmup_steps, then a cosine
    decay over decay_steps from warmup_target (or initial_learning_rate without warmup) to alpha times it."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        _positive_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        initial = _rate(self.initial_learning_rate)
        step = ops.cast(step, initial.dtype)
        if self.warmup_target is None:
            fraction = ops.divide(ops.minimum(step, self.decay_steps), self.decay_steps)
            return ops.multiply(initial, _cosine(fraction, self.alpha))
        target = _rate(self.warmup_target)
        step = ops.minimum(step, self.decay_steps + self.warmup_steps)
        fraction = ops.divide(ops.subtract(step, self.warmup_steps), self.decay_steps)
        decayed = ops.multiply(target, _cosine(fraction, self.alpha))
        if not self.warmup_steps:
            return decayed
        warmed = ops.add(
            ops.multiply(ops.subtract(target, initial), ops.divide(step, self.warmup_steps)), initial
        )
        return ops.where(ops.less(step, self.warmup_steps), warmed, decayed)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay (SGDR) restarted after first_decay_steps, each period t_mul times longer and starting
    m_mul times lower; alpha is the floor as a fraction of initial_learning_rate."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name="SGDRDecay"):
        _positive_steps("first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        initial = _rate(self.initial_learning_rate)
        fraction = ops.divide(ops.cast(step, initial.dtype), self.first_decay_steps)
        if self.t_mul == 1.0:
            restart = ops.floor(fraction)
            fraction = ops.subtract(fraction, restart)
        else:
            # Periods grow geometrically: the restart index solves sum_{k<i} t_mul**k <= fraction.
            restart = ops.floor(
                ops.divide(ops.log(ops.subtract(1.0, ops.multiply(fraction, 1.0 - self.t_mul))), math.log(self.t_mul))
            )
            stretch = ops.power(self.t_mul, restart)
            done = ops.divide(ops.subtract(1.0, stretch), 1.0 - self.t_mul)
            fraction = ops.divide(ops.subtract(fraction, done), stretch)
        cosine = ops.multiply(
            ops.multiply(0.5, ops.power(self.m_mul, restart)), ops.add(1.0, ops.cos(ops.multiply(math.pi, fraction)))
        )
        return ops.multiply(initial, ops.add(ops.multiply(1.0 - self.alpha, cosine), self.alpha))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_BUILT_IN = {
    cls.__name__: cls
    for cls in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay, CosineDecay,
                CosineDecayRestarts)
}


def serialize(schedule):
    """The config dict `{'class_name': ..., 'config': ...}` that `deserialize` turns back into `schedule`."""
    if not isinstance(schedule, LearningRateSchedule):
        raise ValueError(f"Only LearningRateSchedule instances can be serialized; received {schedule!r}")
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config, custom_objects=None):
    """Rebuild a schedule from a `serialize` dict; `custom_objects` maps names to user schedule classes."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A learning-rate schedule config needs a 'class_name' key; received {config!r}")
    known = {**_BUILT_IN, **(custom_objects or {})}
    schedule = look_up(known, config["class_name"], "learning-rate schedule",
                       "a class passed in custom_objects")
    return schedule.from_config(dict(config.get("config") or {}))
