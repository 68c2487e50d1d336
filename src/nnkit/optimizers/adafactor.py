"""Adafactor (Shazeer & Stern 2018): second moments of matrices kept as row and column means (Keras 3's rule)."""
import nnkit.ops as ops
from nnkit.optimizers.optimizer import Optimizer


def _rms(x):
    return ops.sqrt(ops.mean(ops.square(x)))


class Adafactor(Optimizer):
    """With t the step, rho = min(lr, 1/sqrt(t)) and b = 1 - t^beta_2_decay: g2 = g^2 + eps1; a weight of rank >= 2
    keeps r = b r + (1-b) mean_last(g2), c = b c + (1-b) mean_second_last(g2), v = r / mean(r) (x) c; others
    v = b v + (1-b) g2. u = g / sqrt(v); p -= max(eps2, rms(p)) rho u / max(1, rms(u) / clip_threshold).
    Also takes the base keywords (weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, name, `lr`...)."""

    default_name = "adafactor"
    slot_names = ("r", "c", "velocity")

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0,
                 relative_step=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def _init_slot(self, name, param):
        shape = tuple(param.shape)
        if name == "velocity":
            return ops.zeros_like(param)
        if len(shape) < 2:  # vectors keep a full velocity; their factors are unused scalars (as in Keras)
            return ops.zeros((), param.dtype)
        return ops.zeros(shape[:-1] if name == "r" else shape[:-2] + shape[-1:], param.dtype)

    def _step_scalars(self, lr, step, state):
        # Keras caps the rate at 1/sqrt(t) twice when relative_step is set; the cap is idempotent.
        rho = ops.minimum(lr, ops.divide(1.0, ops.sqrt(step)))
        beta_2 = ops.subtract(1.0, ops.power(step, self.beta_2_decay))
        return (rho, beta_2), {}

    def _update_one(self, grad, param, slots, scalars):
        rho, beta_2 = scalars
        alpha = ops.multiply(ops.maximum(self.epsilon_2, _rms(param)), rho)
        grad_square = ops.add(ops.square(grad), self.epsilon_1)
        keep = ops.subtract(1.0, beta_2)
        r, c = slots["r"], slots["c"]
        if len(param.shape) >= 2:
            r = ops.add(ops.multiply(beta_2, r), ops.multiply(keep, ops.mean(grad_square, axis=-1)))
            c = ops.add(ops.multiply(beta_2, c), ops.multiply(keep, ops.mean(grad_square, axis=-2)))
            row_share = ops.divide(r, ops.mean(r, axis=-1, keepdims=True))
            v = ops.multiply(ops.expand_dims(row_share, -1), ops.expand_dims(c, -2))
        else:
            v = ops.add(ops.multiply(beta_2, slots["velocity"]), ops.multiply(keep, grad_square))
        u = ops.divide(grad, ops.sqrt(v))
        u = ops.divide(u, ops.maximum(1.0, ops.divide(_rms(u), self.clip_threshold)))
        return ops.subtract(param, ops.multiply(alpha, u)), {"r": r, "c": c, "velocity": v}

    def get_config(self):
        return {
            **super().get_config(),
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        }
