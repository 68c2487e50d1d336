"""`check_keywords`: a constructor decorator that turns a misspelt keyword into nnkit's suggesting TypeError."""
import functools
import inspect

from nnkit.keywords import reject_unknown

_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def check_keywords(init):
    """Wrap `__init__` so `patince=3` raises `TypeError: ... Did you mean 'patience'?`."""
    accepted = {p.name for p in inspect.signature(init).parameters.values() if p.kind in _NAMED} - {"self"}
    owner = init.__qualname__.rsplit(".", 1)[0] + "()"

    @functools.wraps(init)
    def checked(self, *args, **kwargs):
        reject_unknown(owner, kwargs, accepted)
        return init(self, *args, **kwargs)

    return checked
