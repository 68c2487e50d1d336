"""Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm (Keras 3)."""
import nnkit.ops as ops
from nnkit.optimizers.adam_family import AdamFamily


class Adamax(AdamFamily):
    """m += (g - m)(1 - b1); u = max(b2 u, |g|); p -= lr m / ((1 - b1^t)(u + eps)).
    Also takes the base keywords (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, name, `lr`...)."""

    default_name = "adamax"
    slot_names = ("momentum", "norm")

    def _step_scalars(self, lr, step, state):
        return (lr, ops.subtract(1.0, ops.power(self.beta_1, step))), {}

    def _update_one(self, grad, param, slots, scalars):
        lr, correction = scalars
        m = self._momentum(grad, slots)
        u = ops.maximum(ops.multiply(self.beta_2, slots["norm"]), ops.abs(grad))
        step = ops.divide(ops.multiply(lr, m), ops.multiply(correction, ops.add(u, self.epsilon)))
        return ops.subtract(param, step), {"momentum": m, "norm": u}
