"""Adagrad: steps scaled by the root of each coordinate's accumulated squared gradients (Keras 3's rule)."""
import nnkit.ops as ops
from nnkit.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    """accumulator += g^2 (starting at initial_accumulator_value); p -= lr g / sqrt(accumulator + eps).
    Also takes the base keywords (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, name, `lr`...)."""

    default_name = "adagrad"
    slot_names = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if initial_accumulator_value < 0:
            raise ValueError(
                "`initial_accumulator_value` must be non-negative. Received: "
                f"initial_accumulator_value={initial_accumulator_value}"
            )
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _init_slot(self, name, param):
        return ops.full(tuple(param.shape), self.initial_accumulator_value, param.dtype)

    def _update_one(self, grad, param, slots, scalars):
        (lr,) = scalars
        accumulator = ops.add(slots["accumulator"], ops.square(grad))
        step = ops.divide(ops.multiply(lr, grad), ops.sqrt(ops.add(accumulator, self.epsilon)))
        return ops.subtract(param, step), {"accumulator": accumulator}

    def get_config(self):
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
