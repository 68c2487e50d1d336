"""A differentiable primitive: its forward written against `xp`, and one VJP rule per argument.

Outside a gradient computation a primitive is a plain call on bare arrays. While nnkit's tape
records (NumPy/CuPy `value_and_grad`), calls with traced arguments are recorded. JAX traces the
forward code itself, except for primitives whose rules are marked `everywhere`: closed forms that are
cheaper than differentiating the forward (fused crossentropies, softmax) or that must agree with the
tape at a kink (relu's zero gradient at 0); JAX differentiates those with the same rules.
"""
from nnkit.backends import active
from nnkit.ops import tape
from nnkit.ops.variable import Variable

# This thread's tape and backend, read on every call (bound once: lookups on those modules cost more).
_recording_now, _record, _active_now = tape.now, tape.record, active.now


class Primitive:
    """`forward(xp, *args, **kwargs)` plus `vjps[i](xp, g, out, *args, **kwargs)` -> gradient of arg i."""

    __slots__ = ("name", "forward", "vjps", "everywhere", "__weakref__")  # jax.jit(primitive) needs __weakref__

    def __init__(self, forward):
        self.name = forward.__name__
        self.forward = forward
        self.vjps = None
        self.everywhere = False

    def defvjp(self, *vjps, everywhere=False):
        """Attach one VJP rule per positional argument (None for arguments with no gradient); with
        everywhere=True, backends that trace (JAX) differentiate with these rules too."""
        self.vjps = vjps
        self.everywhere = everywhere
        return self

    def rule(self, i):
        """The VJP rule of positional argument i, or None (no rule: the argument gets no gradient)."""
        if self.vjps is None:
            return None
        try:
            return self.vjps[i]
        except IndexError:  # fewer rules than arguments: the rest get none
            return None

    def __call__(self, *args, **kwargs):
        recording = _recording_now()
        if recording is not None:
            return _record(self, args, kwargs, recording)
        values = [a.value if type(a) is Variable else a for a in args]
        try:
            if self.everywhere:
                return _active_now().backend.apply_with_rules(self, values, kwargs)
            return self.forward(_active_now().xp, *values, **kwargs)
        except Exception:  # symbolic arguments fail here (they have no values): record the op in their graph
            from nnkit.layers.op_layer import has_symbolic, symbolic_op

            if has_symbolic(args, kwargs):
                return symbolic_op(self, args, kwargs)
            raise

    def __repr__(self):
        return f"<nnkit primitive {self.name}>"


def records_symbolic(op):
    """Decorator for a plain-function op that cannot run on symbolic tensors: called with one, it records
    itself in their graph (as primitives do); the eager path only gains a try."""
    import functools

    @functools.wraps(op)
    def call(*args, **kwargs):
        try:
            return op(*args, **kwargs)
        except Exception:
            from nnkit.layers.op_layer import has_symbolic, symbolic_op

            if has_symbolic(args, kwargs):
                return symbolic_op(op.__name__, args, kwargs)
            raise

    return call


def primitive(forward):
    """Decorator: turn a forward function `f(xp, *args, **kwargs)` into a Primitive."""
    return Primitive(forward)


def unbroadcast(xp, grad, like):
    """Sum `grad` down to the shape of `like` (the inverse of broadcasting in the forward)."""
    shape = xp.shape(like) if not hasattr(like, "shape") else like.shape
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad
