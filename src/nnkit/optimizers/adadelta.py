"""Adadelta: steps sized by the ratio of moving RMS of past steps to moving RMS of gradients (Keras 3)."""
import nnkit.ops as ops
from nnkit.optimizers.optimizer import Optimizer


class Adadelta(Optimizer):
    """E[g^2] = rho E[g^2] + (1 - rho) g^2; d = -sqrt(E[d^2] + eps) g / sqrt(E[g^2] + eps); E[d^2] likewise; p += lr d.
    Also takes the base keywords (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, name, `lr`...)."""

    default_name = "adadelta"
    slot_names = ("accumulated_grad", "accumulated_delta_var")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def _update_one(self, grad, param, slots, scalars):
        (lr,) = scalars
        rho = self.rho
        accumulated_grad = ops.add(
            ops.multiply(rho, slots["accumulated_grad"]), ops.multiply(1 - rho, ops.square(grad))
        )
        delta = ops.negative(
            ops.divide(
                ops.multiply(ops.sqrt(ops.add(slots["accumulated_delta_var"], self.epsilon)), grad),
                ops.sqrt(ops.add(accumulated_grad, self.epsilon)),
            )
        )
        accumulated_delta = ops.add(
            ops.multiply(rho, slots["accumulated_delta_var"]), ops.multiply(1 - rho, ops.square(delta))
        )
        param = ops.add(param, ops.multiply(lr, delta))
        return param, {"accumulated_grad": accumulated_grad, "accumulated_delta_var": accumulated_delta}

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
