"""Matrix products."""
from nnkit.ops.primitive import primitive, unbroadcast


def _swap(x):
    return x.swapaxes(-1, -2)


def _matmul_grad_a(xp, g, out, a, b):
    if b.ndim == 1:
        return unbroadcast(xp, g[..., None] * b, a)
    if a.ndim == 1:
        return unbroadcast(xp, xp.matmul(g[..., None, :], _swap(b))[..., 0, :], a)
    return unbroadcast(xp, xp.matmul(g, _swap(b)), a)


def _matmul_grad_b(xp, g, out, a, b):
    if a.ndim == 1 and b.ndim == 1:  # inner product: g is a scalar
        return g * a
    if a.ndim == 1:
        return unbroadcast(xp, a[:, None] * g[..., None, :], b)
    if b.ndim == 1:
        return unbroadcast(xp, xp.matmul(_swap(a), g[..., None])[..., 0], b)
    if b.ndim == 2 and a.ndim > 2:
        return xp.matmul(a.reshape(-1, a.shape[-1]).T, g.reshape(-1, g.shape[-1]))
    return unbroadcast(xp, xp.matmul(_swap(a), g), b)


@primitive
def matmul(xp, a, b):
    return xp.matmul(a, b)


matmul.defvjp(_matmul_grad_a, _matmul_grad_b)
