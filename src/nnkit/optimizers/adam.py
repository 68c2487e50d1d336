"""Adam: per-coordinate steps from moving first and second moments of the gradient, Keras 3's update rule."""
import math

import nnkit.ops as ops
from nnkit.optimizers.adam_family import AdamFamily


class Adam(AdamFamily):
    """m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); p -= lr_t m / (sqrt(v) + eps), lr_t = lr sqrt(1-b2^t) / (1-b1^t);
    amsgrad divides by the running max of v. Also takes the base keywords (weight_decay, clipnorm, ..., name, `lr`)."""

    default_name = "adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **kwargs)
        self.amsgrad = amsgrad

    @property
    def slot_names(self):
        return ("momentum", "velocity", "velocity_hat") if self.amsgrad else ("momentum", "velocity")

    @property
    def _fused_kind(self):
        return None if self.amsgrad or self.use_ema else "adam"

    def _apply_kernel(self, kernel, grads, params, state, lr, step, decay):
        beta_1, beta_2 = self.beta_1, self.beta_2
        lr_t = lr * math.sqrt(1.0 - beta_2**step) / (1.0 - beta_1**step)
        return kernel(params, grads, state["momentum"], state["velocity"], lr_t, beta_1, beta_2, self.epsilon, decay,
                      scratch=self._scratch)

    def _step_scalars(self, lr, step, state):
        correction_1, correction_2 = self._bias_corrections(step)
        return (ops.divide(ops.multiply(lr, ops.sqrt(correction_2)), correction_1),), {}

    def _update_one(self, grad, param, slots, scalars):
        (lr_t,) = scalars
        m = self._momentum(grad, slots)
        v = self._velocity(grad, slots)
        updated = {"momentum": m, "velocity": v}
        if self.amsgrad:
            v = updated["velocity_hat"] = ops.maximum(slots["velocity_hat"], v)
        param = ops.subtract(param, ops.divide(ops.multiply(m, lr_t), ops.add(ops.sqrt(v), self.epsilon)))
        return param, updated

    def get_config(self):
        return {**super().get_config(), "amsgrad": self.amsgrad}
