"""Nadam: Adam with Nesterov momentum and Dozat's momentum schedule (Keras 3's update rule)."""
import nnkit.ops as ops
from nnkit.optimizers.optimizer import Optimizer

# Dozat's momentum schedule: mu_t = beta_1 (1 - 0.5 * 0.96^t).
_SCHEDULE_DECAY = 0.96


class Nadam(Optimizer):
    """Adam with Nesterov momentum under Dozat's schedule mu_t = b1 (1 - 0.5 0.96^t), whose running product the state
    keeps as "u_product". Also takes the base keywords (weight_decay, clipnorm, ..., name, `lr`)."""

    default_name = "nadam"
    slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

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
        m = ops.add(slots["momentum"], ops.multiply(ops.subtract(grad, slots["momentum"]), 1 - self.beta_1))
        v = ops.add(slots["velocity"], ops.multiply(ops.subtract(ops.square(grad), slots["velocity"]), 1 - self.beta_2))
        m_hat = ops.add(
            ops.divide(ops.multiply(u_next, m), rest_next), ops.divide(ops.multiply(one_minus_u, grad), rest)
        )
        v_hat = ops.divide(v, correction_2)
        param = ops.subtract(param, ops.divide(ops.multiply(m_hat, lr), ops.add(ops.sqrt(v_hat), self.epsilon)))
        return param, {"momentum": m, "velocity": v}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
