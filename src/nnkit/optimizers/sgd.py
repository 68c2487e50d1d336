"""SGD: gradient descent with optional (Nesterov) momentum, Keras 3's update rule."""
import numbers

import nnkit.ops as ops
from nnkit.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """p -= lr g; with momentum: v = momentum v - lr g, p += v (Nesterov: p += momentum v - lr g).
    Also takes the base keywords (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, name, `lr`...)."""

    default_name = "SGD"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = nesterov

    @property
    def slot_names(self):
        return ("momentum",) if self.momentum != 0 else ()

    @property
    def _fused_kind(self):
        return None if self.use_ema else "sgd"

    def _apply_kernel(self, kernel, grads, params, state, lr, step, decay):
        velocities = state["momentum"] if self.momentum != 0 else None
        return kernel(params, grads, velocities, lr, self.momentum, self.nesterov, decay)

    def _update_one(self, grad, param, slots, scalars):
        (lr,) = scalars
        if not slots:
            return ops.subtract(param, ops.multiply(grad, lr)), {}
        velocity = ops.subtract(ops.multiply(slots["momentum"], self.momentum), ops.multiply(grad, lr))
        if self.nesterov:
            param = ops.add(param, ops.subtract(ops.multiply(velocity, self.momentum), ops.multiply(grad, lr)))
        else:
            param = ops.add(param, velocity)
        return param, {"momentum": velocity}

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
