"""The random key a layer draws from in one call (dropout, noise, recurrent dropout masks): the model step's next
key, with the layer's own integer `seed` folded in when it has one."""
from nnkit.backends import active
from nnkit.layers import call_context


def layer_key(seed):
    """A fresh key from the current call context, made distinct by `seed` (None: the context's key alone)."""
    key = call_context.current().next_key()
    return key if seed is None else active.backend.fold_in(key, seed)
