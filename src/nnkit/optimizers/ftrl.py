"""Ftrl: Follow The Regularized Leader (McMahan et al. 2013) with L1/L2 and shrinkage terms, Keras 3's rule."""
import nnkit.ops as ops
from nnkit.optimizers.optimizer import Optimizer

_NON_NEGATIVE = ("initial_accumulator_value", "l1_regularization_strength", "l2_regularization_strength",
                 "l2_shrinkage_regularization_strength")


class Ftrl(Optimizer):
    """n' = n + g^2; z += g + 2 l2s p - (n'^-k - n^-k) / lr p with k = learning_rate_power;
    p = (clip(z, -l1, l1) - z) / (n'^-k / lr + 2 (l2 + beta / (2 lr))).
    Also takes the base keywords (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, name, `lr`...)."""

    default_name = "ftrl"
    slot_names = ("accumulator", "linear")

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        values = {
            "initial_accumulator_value": initial_accumulator_value,
            "l1_regularization_strength": l1_regularization_strength,
            "l2_regularization_strength": l2_regularization_strength,
            "l2_shrinkage_regularization_strength": l2_shrinkage_regularization_strength,
        }
        for name in _NON_NEGATIVE:
            if values[name] < 0.0:
                raise ValueError(f"`{name}` needs to be positive or zero. Received: {name}={values[name]}.")
        if learning_rate_power > 0.0:
            raise ValueError(
                "`learning_rate_power` needs to be negative or zero. Received: "
                f"learning_rate_power={learning_rate_power}."
            )
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _init_slot(self, name, param):
        if name == "accumulator":
            return ops.full(tuple(param.shape), self.initial_accumulator_value, param.dtype)
        return ops.zeros_like(param)

    def _update_one(self, grad, param, slots, scalars):
        (lr,) = scalars
        power = -self.learning_rate_power
        accumulator = slots["accumulator"]
        new_accumulator = ops.add(accumulator, ops.square(grad))
        new_scale, old_scale = ops.power(new_accumulator, power), ops.power(accumulator, power)
        shrunk_grad = ops.add(grad, ops.multiply(param, 2 * self.l2_shrinkage_regularization_strength))
        sigma = ops.divide(ops.subtract(new_scale, old_scale), lr)
        linear = ops.add(slots["linear"], ops.subtract(shrunk_grad, ops.multiply(sigma, param)))
        l2 = ops.add(ops.divide(self.beta / 2.0, lr), self.l2_regularization_strength)
        quadratic = ops.add(ops.divide(new_scale, lr), ops.multiply(l2, 2.0))
        l1 = self.l1_regularization_strength
        param = ops.divide(ops.subtract(ops.clip(linear, -l1, l1), linear), quadratic)
        return param, {"accumulator": new_accumulator, "linear": linear}

    def get_config(self):
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
