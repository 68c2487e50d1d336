"""Lamb: Adam's step rescaled per weight tensor by the trust ratio ||w|| / ||step|| (Keras 3's update rule)."""
import nnkit.ops as ops
from nnkit.optimizers.adam_family import AdamFamily


class Lamb(AdamFamily):
    """u = m_hat / (sqrt(v_hat) + eps) with Adam's bias-corrected moments; p -= lr r u, r = ||p|| / ||u||
    (1 when either norm is 0). Also takes the base keywords (weight_decay, clipnorm, ..., name, `lr`)."""

    default_name = "lamb"
    slot_names = ("momentum", "velocity")

    def _step_scalars(self, lr, step, state):
        return (lr, *self._bias_corrections(step)), {}

    def _update_one(self, grad, param, slots, scalars):
        lr, correction_1, correction_2 = scalars
        m = self._momentum(grad, slots)
        v = self._velocity(grad, slots)
        step = ops.divide(ops.divide(m, correction_1), ops.add(ops.sqrt(ops.divide(v, correction_2)), self.epsilon))
        param_norm, step_norm = ops.norm(param), ops.norm(step)
        both_positive = ops.logical_and(ops.greater(param_norm, 0), ops.greater(step_norm, 0))
        ratio = ops.where(both_positive, ops.divide(param_norm, ops.where(both_positive, step_norm, 1.0)), 1.0)
        param = ops.subtract(param, ops.multiply(step, ops.multiply(ratio, lr)))
        return param, {"momentum": m, "velocity": v}
