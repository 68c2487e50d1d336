"""In-place optimizer updates for NumPy-like arrays: the same math as the generic updates, fewer passes.

Each kernel overwrites `param` and its slots in place (the eager form of buffer donation). The
kernels are built per array namespace so the CuPy backend can reuse them.
"""
import numpy as np


def make_adam(xp):
    """Adam (Keras form: bias correction folded into the step size) as in-place passes over `xp` arrays."""

    def adam(param, grad, m, v, lr_t, beta_1, beta_2, epsilon):
        scratch = xp.empty_like(grad)
        xp.subtract(grad, m, out=scratch)
        scratch *= 1.0 - beta_1
        m += scratch
        xp.multiply(grad, grad, out=scratch)
        scratch -= v
        scratch *= 1.0 - beta_2
        v += scratch
        xp.sqrt(v, out=scratch)
        scratch += epsilon
        xp.divide(m, scratch, out=scratch)
        scratch *= lr_t
        param -= scratch

    return adam


def make_sgd(xp):
    """SGD with optional (Nesterov) momentum as in-place passes; `velocity` is None without momentum."""

    def sgd(param, grad, velocity, lr, momentum, nesterov):
        if velocity is None:
            grad *= lr
            param -= grad
            return
        velocity *= momentum
        grad *= lr
        velocity -= grad
        if nesterov:
            param += velocity * momentum
            param -= grad
        else:
            param += velocity

    return sgd


FUSED_UPDATES = {"adam": make_adam(np), "sgd": make_sgd(np)}
