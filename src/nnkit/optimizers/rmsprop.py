"""RMSprop: steps scaled by a moving root mean square of the gradients, Keras 3's update rule."""
import nnkit.ops as ops
from nnkit.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """v = rho v + (1 - rho) g^2; p -= lr g / sqrt(v + eps), optionally centered (minus the squared mean of g) and
    with momentum on the step. Also takes the base keywords (weight_decay, clipnorm, ..., name, `lr`)."""

    default_name = "rmsprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    @property
    def slot_names(self):
        momentum = ("momentum",) if self.momentum > 0 else ()
        return ("velocity",) + momentum + (("average_gradient",) if self.centered else ())

    def _update_one(self, grad, param, slots, scalars):
        (lr,) = scalars
        rho = self.rho
        velocity = ops.add(ops.multiply(rho, slots["velocity"]), ops.multiply(1 - rho, ops.square(grad)))
        updated = {"velocity": velocity}
        if self.centered:
            average = ops.add(ops.multiply(rho, slots["average_gradient"]), ops.multiply(1 - rho, grad))
            updated["average_gradient"] = average
            denominator = ops.add(ops.subtract(velocity, ops.square(average)), self.epsilon)
        else:
            denominator = ops.add(velocity, self.epsilon)
        increment = ops.divide(ops.multiply(lr, grad), ops.sqrt(denominator))
        if self.momentum > 0:
            increment = updated["momentum"] = ops.add(ops.multiply(self.momentum, slots["momentum"]), increment)
        return ops.subtract(param, increment), updated

    def get_config(self):
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
