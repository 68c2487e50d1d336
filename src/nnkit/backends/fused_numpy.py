"""In-place optimizer kernels over NumPy-like arrays (per namespace, so CuPy can reuse them): the eager form of
buffer donation. Gradients are only read; a read-only parameter or slot makes a kernel return False, untouched."""


def writable(*groups):
    """Whether every array in the given lists may be written in place."""
    return all(getattr(array.flags, "writeable", True) for group in groups for array in group)


def _scratch_like(xp, buffers, array):
    """A scratch array of the shape and dtype of `array`: a view of the caller's buffer for that dtype (grown
    as needed), so that a step allocates (and the OS zero-fills) no fresh pages for it. Each optimizer owns
    its `buffers`, so models training in two threads never write into each other's scratch."""
    buffer = buffers.get(array.dtype)
    if buffer is None or buffer.size < array.size:
        buffer = buffers[array.dtype] = xp.empty(array.size, dtype=array.dtype)
    return buffer[:array.size].reshape(array.shape)


def make_adam(xp):
    """Adam (Keras form: bias corrections folded into `lr_t`) with optional decoupled weight decay."""

    def adam(params, grads, ms, vs, lr_t, beta_1, beta_2, epsilon, decay=0.0, scratch=None):
        """p *= 1 - decay; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr_t m / (sqrt(v) + eps).
        `scratch`: the caller's {dtype: buffer} dict, reused between calls (None: fresh buffers)."""
        if not writable(params, ms, vs):
            return False
        buffers = {} if scratch is None else scratch
        keep, one_minus_b1, one_minus_b2 = 1.0 - decay, 1.0 - beta_1, 1.0 - beta_2
        for param, grad, m, v in zip(params, grads, ms, vs):
            work = _scratch_like(xp, buffers, param)
            if decay:
                param *= keep
            m *= beta_1
            xp.multiply(grad, one_minus_b1, out=work)
            m += work
            v *= beta_2
            xp.multiply(grad, grad, out=work)
            work *= one_minus_b2
            v += work
            xp.sqrt(v, out=work)
            work += epsilon
            xp.divide(m, work, out=work)
            work *= lr_t
            param -= work
        return True

    return adam


def make_sgd(xp):
    """SGD with optional (Nesterov) momentum and weight decay; `velocities` is None without momentum."""

    def sgd(params, grads, velocities, lr, momentum, nesterov, decay=0.0):
        """p *= 1 - decay; v = momentum v - lr g; p += v (Nesterov: p += momentum v - lr g)."""
        if not writable(params, velocities or ()):
            return False
        keep = 1.0 - decay
        for index, (param, grad) in enumerate(zip(params, grads)):
            step = xp.multiply(grad, lr)
            if decay:
                param *= keep
            if velocities is None:
                param -= step
                continue
            velocity = velocities[index]
            velocity *= momentum
            velocity -= step
            if nesterov:
                param -= step
                xp.multiply(velocity, momentum, out=step)
                param += step
            else:
                param += velocity
        return True

    return sgd

