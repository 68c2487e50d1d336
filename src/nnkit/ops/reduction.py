"""Reductions over axes: sum, mean, max/min, logsumexp, variance, argmax/argmin."""
from nnkit.ops.math import sqrt
from nnkit.ops.math import square, subtract
from nnkit.ops.primitive import primitive


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim for a in axis)


def _restore(xp, g, x, axis, keepdims):
    """Broadcast a reduced gradient back to the shape of the reduced input."""
    if not keepdims and x.ndim and axis is not None:  # a full reduction's scalar broadcasts as it is
        g = xp.expand_dims(g, _axes(axis, x.ndim))
    return xp.broadcast_to(g, x.shape)


def _count(x, axis):
    count = 1
    for a in _axes(axis, x.ndim):
        count *= x.shape[a]
    return count


@primitive
def sum(xp, x, axis=None, keepdims=False):
    return xp.sum(x, axis=axis, keepdims=keepdims)


sum.defvjp(lambda xp, g, out, x, axis=None, keepdims=False: _restore(xp, g, x, axis, keepdims))


@primitive
def mean(xp, x, axis=None, keepdims=False):
    return xp.mean(x, axis=axis, keepdims=keepdims)


mean.defvjp(lambda xp, g, out, x, axis=None, keepdims=False: _restore(xp, g / _count(x, axis), x, axis, keepdims))


def _extremum_vjp(xp, g, out, x, axis=None, keepdims=False):
    """Split the gradient evenly between the positions that attain the extremum."""
    hit = (x == _restore(xp, out, x, axis, keepdims)).astype(g.dtype)  # bool / int count would be float64
    share = hit / xp.sum(hit, axis=axis, keepdims=True)
    return _restore(xp, g, x, axis, keepdims) * share


@primitive
def max(xp, x, axis=None, keepdims=False):
    return xp.max(x, axis=axis, keepdims=keepdims)


max.defvjp(_extremum_vjp)


@primitive
def min(xp, x, axis=None, keepdims=False):
    return xp.min(x, axis=axis, keepdims=keepdims)


min.defvjp(_extremum_vjp)


@primitive
def logsumexp(xp, x, axis=None, keepdims=False):
    peak = xp.max(x, axis=axis, keepdims=True)
    peak = xp.where(xp.isfinite(peak), peak, 0)
    out = xp.log(xp.sum(xp.exp(x - peak), axis=axis, keepdims=True)) + peak
    return out if keepdims else xp.squeeze(out, axis=_axes(axis, x.ndim))


logsumexp.defvjp(
    lambda xp, g, out, x, axis=None, keepdims=False: _restore(xp, g, x, axis, keepdims)
    * xp.exp(x - _restore(xp, out, x, axis, keepdims))
)


@primitive
def prod(xp, x, axis=None, keepdims=False):
    return xp.prod(x, axis=axis, keepdims=keepdims)


def _prod_vjp(xp, g, out, x, axis=None, keepdims=False):
    """g times the product of the *other* entries of each group: exclusive cumulative products from both
    ends, so entries equal to zero get the exact gradient (dividing out / x would give 0/0)."""
    axes = _axes(axis, x.ndim)
    kept = tuple(a for a in range(x.ndim) if a not in axes)
    order = kept + axes
    moved = xp.transpose(x, order)
    flat = moved.reshape(moved.shape[: len(kept)] + (-1,))
    one = xp.ones_like(flat[..., :1])
    before = xp.cumprod(xp.concatenate([one, flat[..., :-1]], axis=-1), axis=-1)
    after = xp.flip(xp.cumprod(xp.flip(xp.concatenate([flat[..., 1:], one], axis=-1), axis=-1), axis=-1), axis=-1)
    others = xp.transpose((before * after).reshape(moved.shape), [order.index(a) for a in range(x.ndim)])
    return _restore(xp, g, x, axis, keepdims) * others


prod.defvjp(_prod_vjp)


def var(x, axis=None, keepdims=False):
    """Population variance (divides by N, as Keras does)."""
    centred = subtract(x, mean(x, axis=axis, keepdims=True))
    return mean(square(centred), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """Population standard deviation."""
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def norm(x, axis=None, keepdims=False):
    """Euclidean (L2) norm over `axis`."""
    return sqrt(sum(square(x), axis=axis, keepdims=keepdims))


@primitive
def argmax(xp, x, axis=-1):
    return xp.argmax(x, axis=axis)


@primitive
def argmin(xp, x, axis=-1):
    return xp.argmin(x, axis=axis)


@primitive
def argsort(xp, x, axis=-1):
    return xp.argsort(x, axis=axis, stable=True)


@primitive
def any(xp, x, axis=None, keepdims=False):
    return xp.any(x, axis=axis, keepdims=keepdims)


@primitive
def all(xp, x, axis=None, keepdims=False):
    return xp.all(x, axis=axis, keepdims=keepdims)
