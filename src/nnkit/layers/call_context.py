"""What a layer may need during one pure model call: random keys for dropout, and added losses.

The innermost running context is kept per thread (a ContextVar), so models called in two threads at
once never hand each other keys or losses.
"""
from contextvars import ContextVar

from nnkit.backends import active
from nnkit.random import next_seed

_innermost = ContextVar("nnkit_call_context", default=None)


class CallContext:
    """Hands out distinct random keys derived from one key, and collects losses from add_loss()."""

    def __init__(self, key=None):
        self.key = key
        self.draws = 0
        self.losses = []
        self.loss_owners = []  # the layer that added each of `losses` (for layer.losses after an eager call)
        self.output_masks = None

    def next_key(self):
        """A fresh key for one random draw (deterministic given the context's key and call order)."""
        backend = active.now().backend
        if self.key is None:
            self.key = backend.random_key(next_seed())
        self.draws += 1
        return backend.fold_in(self.key, self.draws)

    def __enter__(self):
        self._token = _innermost.set(self)
        return self

    def __exit__(self, *exc):
        _innermost.reset(self._token)


def keep_layer_losses(context, layers):
    """After an eager call: each of `layers` remembers the losses it added in `context` (its `losses`)."""
    added = {}
    for owner, loss in zip(context.loss_owners, context.losses):
        added.setdefault(id(owner), []).append(loss)
    for layer in layers:
        layer._call_losses = added.get(id(layer), [])


def inside_call():
    """Whether a model call is running in this thread (layers called from it are part of it)."""
    return _innermost.get() is not None


def current():
    """The innermost call context, or a fresh throwaway one for calls made outside any model step."""
    context = _innermost.get()
    return context if context is not None else CallContext()
