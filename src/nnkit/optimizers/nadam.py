"""Nadam: Adam with Nesterov momentum and Dozat's momentum schedule (Keras 3's update rule)."""
import nnkit.ops as ops
from nnkit.optimizers.adam_family import AdamFamily

# Dozat's momentum schedule: mu_t = beta_1 (1 - 0.5 * 0.96^t).
_SCHEDULE_DECAY = 0.96


class Nadam(AdamFamily):
    """Adam with Nesterov momentum under Dozat's schedule mu_t = b1 (1 - 0.5 0.96^t), whose running product the state
    keeps as "u_product". Also takes the base keywords (weight_decay, clipnorm, ..., name, `lr`)."""

    default_name = "nadam"
    slot_names = ("momentum", "velocity")

    def _init_extra(self, dtype):
        return {"u_product": ops.ones((), dtype)}

    def _step_scalars(self, lr, step, state):
        beta_1 = self.beta_1
        schedule_t = ops.subtract(1.0, ops.multiply(0.5, ops.power(_SCHEDULE_DECAY, step)))
        schedule_next = ops.subtract(1.0, ops.multiply(0.5, ops.power(_SCHEDULE_DECAY, ops.add(step, 1.0))))
        u_t = ops.multiply(beta_1, schedule_t)
        u_next = ops.multiply(beta_1, schedule_next)
        u_product = ops.multiply(ops.multiply(state["u_product"], beta_1), schedule_t)
        u_product_next = ops.multiply(u_product, u_next)
        scalars = (
            lr,
            u_next,
            ops.subtract(1.0, u_product_next),
            ops.subtract(1.0, u_t),
            ops.subtract(1.0, u_product),
            ops.subtract(1.0, ops.power(self.beta_2, step)),
        )
        return scalars, {"u_product": ops.convert_to_tensor(u_product)}

    def _update_one(self, grad, param, slots, scalars):
        lr, u_next, rest_next, one_minus_u, rest, correction_2 = scalars
        m = self._momentum(grad, slots)
        v = self._velocity(grad, slots)
        m_hat = ops.add(
            ops.divide(ops.multiply(u_next, m), rest_next), ops.divide(ops.multiply(one_minus_u, grad), rest)
        )
        v_hat = ops.divide(v, correction_2)
        param = ops.subtract(param, ops.divide(ops.multiply(m_hat, lr), ops.add(ops.sqrt(v_hat), self.epsilon)))
        return param, {"momentum": m, "velocity": v}
