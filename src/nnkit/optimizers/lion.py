"""Lion: steps of fixed size lr in the sign of an interpolated momentum (Keras 3's update rule)."""
import nnkit.ops as ops
from nnkit.optimizers.optimizer import Optimizer


class Lion(Optimizer):
    """p -= lr sign(b1 m + (1 - b1) g); then m = b2 m + (1 - b2) g.
    Also takes the base keywords (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, name, `lr`...)."""

    default_name = "lion"
    slot_names = ("momentum",)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates to SignSGD. "
                f"Received: beta_1={beta_1}."
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def _update_one(self, grad, param, slots, scalars):
        (lr,) = scalars
        m = slots["momentum"]
        direction = ops.sign(ops.add(ops.multiply(m, self.beta_1), ops.multiply(grad, 1.0 - self.beta_1)))
        param = ops.subtract(param, ops.multiply(direction, lr))
        m = ops.add(ops.multiply(m, self.beta_2), ops.multiply(grad, 1.0 - self.beta_2))
        return param, {"momentum": m}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
