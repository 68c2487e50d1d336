"""nnkit's reverse-mode tape for eager backends (NumPy, CuPy).

`value_and_grad` wraps the parameters in Tracers, turns recording on, runs the function, then walks
the recorded graph backwards once. Only calls that touch a Tracer are recorded, so the cost is paid
only on the path from parameters to the loss. Recording is per thread (a ContextVar): a gradient taken in
one thread never records, nor is disturbed by, the ops of another.
"""
from contextvars import ContextVar

from nnkit.backends import active
from nnkit.ops.operators import ArrayOperators
from nnkit.ops.variable import Variable


class Recording:
    """One running value_and_grad: the Tracers its primitives made (oldest first) and the array namespace it
    computes with (the active one when it started)."""

    __slots__ = ("nodes", "xp")

    def __init__(self, xp):
        self.nodes = []
        self.xp = xp


# The innermost running recording of this thread (and context), or None: threads never share a tape.
_innermost = ContextVar("nnkit_tape", default=None)
now = _innermost.get  # now() -> the Recording primitives add to, or None (called once per op: keep it a C call)


class Tracer(ArrayOperators):
    """An array produced while recording: its value, the primitive that made it and its inputs."""

    __slots__ = ("value", "prim", "parents", "args", "kwargs", "grad")
    # Makes `ndarray <op> tracer` defer to the Tracer's reflected operator (as for Variable and JAX's
    # tracers) instead of NumPy trying, and failing, to convert the Tracer to an array.
    __array_priority__ = 100

    def __init__(self, value, prim=None, parents=None, args=None, kwargs=None):
        self.value = value
        self.prim = prim
        self.parents = parents
        self.args = args
        self.kwargs = kwargs
        self.grad = None

    @property
    def shape(self):
        return self.value.shape

    @property
    def dtype(self):
        return self.value.dtype

    @property
    def ndim(self):
        return self.value.ndim

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "A traced array cannot be converted to a NumPy array inside a gradient computation; "
            "write the computation with nnkit.ops."
        )

    def __repr__(self):
        return f"<Tracer of {self.prim.name if self.prim else 'parameter'} shape={self.shape}>"


def record(prim, args, kwargs, recording):
    """Run `prim` on the unwrapped arguments; return a Tracer (kept in `recording`) when any argument was
    traced."""
    values = []
    parents = None
    for i, arg in enumerate(args):
        kind = type(arg)
        if kind is Variable:
            arg = arg.value
            kind = type(arg)
        if kind is Tracer:
            # Only arguments with a VJP rule are differentiated (a traced integer label fed to a loss has
            # none): the others are constants here, and backward() never looks for their missing rule.
            if prim.rule(i) is not None:
                if parents is None:
                    parents = []
                parents.append((i, arg))
            arg = arg.value
        values.append(arg)
    out = prim.forward(recording.xp, *values, **kwargs)
    if parents is None:
        return out
    node = Tracer(out, prim, parents, values, kwargs)
    recording.nodes.append(node)
    return node


def backward(root, nodes):
    """Propagate d(root)/d(node) from the scalar `root` through `nodes` (recorded in the order they were made,
    so reversed each node comes after every node that used it); leaves keep their gradients."""
    xp = active.now().xp
    root.grad = xp.ones_like(root.value)
    for node in reversed(nodes):
        grad = node.grad
        if grad is None:
            continue
        node.grad = None
        for i, parent in node.parents:
            contribution = node.prim.vjps[i](xp, grad, node.value, *node.args, **node.kwargs)
            parent.grad = contribution if parent.grad is None else parent.grad + contribution
        node.args = None


def unwrap(tree):
    """Replace Tracers in a nested structure (tuple, list, dict) by their values."""
    kind = type(tree)
    if kind is Tracer:
        return tree.value
    if kind in (list, tuple):
        return kind(unwrap(item) for item in tree)
    if kind is dict:
        return {key: unwrap(item) for key, item in tree.items()}
    return tree


def value_and_grad(fn):
    """Eager counterpart of jax.value_and_grad(fn, has_aux=True) for a flat list of parameters."""

    def wrapped(params, *args):
        leaves = [Tracer(p) for p in params]
        recording = Recording(active.now().xp)
        token = _innermost.set(recording)
        try:
            loss, aux = fn(leaves, *args)
        finally:
            _innermost.reset(token)
        xp = recording.xp
        if type(loss) is Tracer:
            backward(loss, recording.nodes)
        grads = [leaf.grad if leaf.grad is not None else xp.zeros_like(leaf.value) for leaf in leaves]
        return (unwrap(loss), unwrap(aux)), grads

    return wrapped

