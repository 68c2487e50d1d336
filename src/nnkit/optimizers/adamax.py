"""Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm (Keras 3)."""
import nnkit.ops as ops
from nnkit.optimizers.optimizer import Optimizer


class Adamax(Optimizer):
    """m += (g - m)(1 - b1); u = max(b2 u, |g|); p -= lr m / ((1 - b1^t)(u + eps)).
    Also takes the base keywords (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, name, `lr`...)."""

    default_name = "adamax"
    slot_names = ("momentum", "norm")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _step_scalars(self, lr, step, state):
        return (lr, ops.subtract(1.0, ops.power(self.beta_1, step))), {}

    def _update_one(self, grad, param, slots, scalars):
        lr, correction = scalars
        m = ops.add(slots["momentum"], ops.multiply(ops.subtract(grad, slots["momentum"]), 1 - self.beta_1))
        u = ops.maximum(ops.multiply(self.beta_2, slots["norm"]), ops.abs(grad))
        step = ops.divide(ops.multiply(lr, m), ops.multiply(correction, ops.add(u, self.epsilon)))
        return ops.subtract(param, step), {"momentum": m, "norm": u}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
