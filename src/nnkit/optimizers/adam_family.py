"""AdamFamily: what Adam, Adamax, Nadam and Lamb share: the arguments beta_1, beta_2 and epsilon (Keras'
defaults), their config, and Adam's moving first and second moments."""
import nnkit.ops as ops
from nnkit.optimizers.optimizer import Optimizer


class AdamFamily(Optimizer):
    """Base of the Adam-like optimizers; a subclass writes its step from `_momentum` and `_velocity`."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _bias_corrections(self, step):
        """(1 - b1^t, 1 - b2^t): the bias corrections of the two moments at step t."""
        return ops.subtract(1.0, ops.power(self.beta_1, step)), ops.subtract(1.0, ops.power(self.beta_2, step))

    def _momentum(self, grad, slots):
        """The first moment after `grad`: m += (g - m)(1 - b1)."""
        momentum = slots["momentum"]
        return ops.add(momentum, ops.multiply(ops.subtract(grad, momentum), 1 - self.beta_1))

    def _velocity(self, grad, slots):
        """The second moment after `grad`: v += (g^2 - v)(1 - b2)."""
        velocity = slots["velocity"]
        return ops.add(velocity, ops.multiply(ops.subtract(ops.square(grad), velocity), 1 - self.beta_2))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
