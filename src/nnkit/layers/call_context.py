"""What a layer may need during one pure model call: random keys for dropout, and added losses."""
from nnkit.backends import active
from nnkit.random import next_seed

_stack = []


class CallContext:
    """Hands out distinct random keys derived from one key, and collects losses from add_loss()."""

    def __init__(self, key=None):
        self.key = key
        self.draws = 0
        self.losses = []

    def next_key(self):
        """A fresh key for one random draw (deterministic given the context's key and call order)."""
        if self.key is None:
            self.key = active.backend.random_key(next_seed())
        self.draws += 1
        return active.backend.fold_in(self.key, self.draws)

    def __enter__(self):
        _stack.append(self)
        return self

    def __exit__(self, *exc):
        _stack.pop()


def current():
    """The innermost call context, or a fresh throwaway one for calls made outside any model step."""
    return _stack[-1] if _stack else CallContext()
