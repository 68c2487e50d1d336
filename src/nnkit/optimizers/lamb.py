"""Lamb: Adam's step rescaled per weight tensor by the trust ratio ||w|| / ||step|| (Keras 3's update rule)."""
import nnkit.ops as ops
from nnkit.optimizers.optimizer import Optimizer


class Lamb(Optimizer):
    """u = m_hat / (sqrt(v_hat) + eps) with Adam's bias-corrected moments; p -= lr r u, r = ||p|| / ||u||
    (1 when either norm is 0). Also takes the base keywords (weight_decay, clipnorm, ..., name, `lr`)."""

    default_name = "lamb"
    slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _step_scalars(self, lr, step, state):
        correction_1 = ops.subtract(1.0, ops.power(self.beta_1, step))
        correction_2 = ops.subtract(1.0, ops.power(self.beta_2, step))
        return (lr, correction_1, correction_2), {}

    def _update_one(self, grad, param, slots, scalars):
        lr, correction_1, correction_2 = scalars
        m = ops.add(slots["momentum"], ops.multiply(ops.subtract(grad, slots["momentum"]), 1 - self.beta_1))
        v = ops.add(slots["velocity"], ops.multiply(ops.subtract(ops.square(grad), slots["velocity"]), 1 - self.beta_2))
        step = ops.divide(ops.divide(m, correction_1), ops.add(ops.sqrt(ops.divide(v, correction_2)), self.epsilon))
        param_norm, step_norm = ops.norm(param), ops.norm(step)
        both_positive = ops.logical_and(ops.greater(param_norm, 0), ops.greater(step_norm, 0))
        ratio = ops.where(both_positive, ops.divide(param_norm, ops.where(both_positive, step_norm, 1.0)), 1.0)
        param = ops.subtract(param, ops.multiply(step, ops.multiply(ratio, lr)))
        return param, {"momentum": m, "velocity": v}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
