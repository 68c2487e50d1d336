"""The eager form of `scan`: a Python loop whose steps run through nnkit.ops, so the tape sees them."""
from nnkit.ops.shape import getitem, stack


def _slice(xs, t):
    if isinstance(xs, (tuple, list)):
        return type(xs)(getitem(x, t) for x in xs)
    return getitem(xs, t)


def _stack(ys):
    first = ys[0]
    if first is None:
        return None
    if isinstance(first, (tuple, list)):
        return type(first)(stack([y[i] for y in ys]) for i in range(len(first)))
    return stack(ys)


def eager_scan(step, carry, xs):
    """carry, y = step(carry, xs[t]) for t in order; returns the last carry and the ys stacked."""
    length = (xs[0] if isinstance(xs, (tuple, list)) else xs).shape[0]
    ys = []
    for t in range(length):
        carry, y = step(carry, _slice(xs, t))
        ys.append(y)
    return carry, _stack(ys)
