"""Host-side seeding: one global seed stream so that every backend starts from the same weights."""
import random as _py_random

import numpy as np

_generator = np.random.default_rng()


def set_random_seed(seed):
    """Seed nnkit's host generator (and Python's and NumPy's global ones, as Keras does)."""
    global _generator
    seed = int(seed)
    _generator = np.random.default_rng(seed)
    _py_random.seed(seed)
    np.random.seed(seed % (2**32))


def next_seed():
    """Draw a fresh 63-bit seed from the global stream (used where no explicit seed is given)."""
    return int(_generator.integers(0, 2**63 - 1))


def host_rng(seed=None):
    """A NumPy Generator: from `seed` when given, else from the next seed of the global stream."""
    return np.random.default_rng(next_seed() if seed is None else seed)


# --- random ops (Keras 3's keras.random) -------------------------------------------------------------------
class SeedGenerator:
    """A stream of random keys whose state is a non-trainable Variable (Keras 3's SeedGenerator).

    Assigned as an attribute of a layer, its state becomes one of the layer's non-trainable weights, so
    inside a compiled (JAX) step the state flows in and out of the step like any other layer state."""

    def __init__(self, seed=None, name=None, **kwargs):
        from nnkit.ops.variable import Variable

        if kwargs:
            raise TypeError(f"SeedGenerator() got unexpected keyword arguments {sorted(kwargs)}.")
        self.seed = next_seed() if seed is None else int(seed)
        self.name = name or "seed_generator"
        self.state = Variable(np.array([self.seed % 2**32, 0], np.uint32), name=f"{self.name}_state",
                              trainable=False)
        self.state.seed_state = True  # models whose layers own one keep its state after predict steps too

    def next(self, ordered=True):
        """A fresh key for one draw; advances the state (through Variable.assign, so pure steps record it)."""
        from nnkit.backends import active

        backend = active.now().backend
        key = self.state.value
        self.state.assign(backend.fold_in(key, 1))
        return backend.fold_in(key, 2)

    def get_config(self):
        return {"seed": self.seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def draw_key(seed):
    """A backend key from `seed`: a SeedGenerator's next key, an int's fixed key (the same values on each
    call, as in Keras), or for None the running model step's key (a fresh global seed outside a step)."""
    from nnkit.backends import active
    from nnkit.layers import call_context

    if isinstance(seed, SeedGenerator):
        return seed.next()
    if seed is None:
        return call_context.current().next_key()
    if isinstance(seed, (int, np.integer)):
        return active.now().backend.random_key(int(seed))
    raise TypeError(f"seed must be an int, a nnkit.random.SeedGenerator or None, received {seed!r}.")


def _shape(shape):
    return tuple(int(d) for d in shape)


def _float(dtype):
    from nnkit.config import floatx

    return dtype or floatx()


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples uniform in [minval, maxval)."""
    from nnkit.backends import active

    return active.now().backend.uniform(draw_key(seed), _shape(shape), _float(dtype), minval, maxval)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples with the given mean and standard deviation."""
    from nnkit import ops
    from nnkit.backends import active

    sample = active.now().backend.normal(draw_key(seed), _shape(shape), _float(dtype))
    return sample if (mean, stddev) == (0.0, 1.0) else ops.add(ops.multiply(sample, stddev), mean)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples redrawn where they fall more than two standard deviations from the mean (after four
    redraws, the rare remainder is clipped to the bounds)."""
    from nnkit import ops
    from nnkit.backends import active

    backend, key = active.now().backend, draw_key(seed)
    shape, dtype = _shape(shape), _float(dtype)
    sample = backend.normal(backend.fold_in(key, 0), shape, dtype)
    for attempt in range(1, 5):
        redraw = backend.normal(backend.fold_in(key, attempt), shape, dtype)
        sample = ops.where(ops.greater(ops.abs(sample), 2.0), redraw, sample)
    return ops.add(ops.multiply(ops.clip(sample, -2.0, 2.0), stddev), mean)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers uniform in [minval, maxval)."""
    from nnkit import ops

    sample = uniform(shape, 0.0, 1.0, "float32", seed)
    value = ops.floor(ops.add(ops.multiply(sample, float(maxval - minval)), float(minval)))
    return ops.cast(ops.minimum(value, float(maxval - 1)), dtype)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """`num_samples` class indices per row of `logits` (batch, classes), drawn by the Gumbel-max trick."""
    from nnkit import ops

    batch, classes = logits.shape
    tiny = 1e-20
    u = uniform((batch, num_samples, classes), tiny, 1.0, "float32", seed)
    gumbel = ops.negative(ops.log(ops.negative(ops.log(u))))
    scores = ops.add(ops.expand_dims(ops.cast(logits, "float32"), 1), gumbel)
    return ops.cast(ops.argmax(scores, axis=-1), dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """`inputs` with each entry zeroed with probability `rate`, the others scaled by 1 / (1 - rate)."""
    from nnkit import ops

    return ops.dropout(inputs, rate, draw_key(seed), noise_shape)


def shuffle(x, axis=0, seed=None):
    """`x` with its entries along `axis` in a random order."""
    from nnkit import ops

    scores = uniform((x.shape[axis],), dtype="float32", seed=seed)
    return ops.take(x, ops.argsort(scores), axis=axis)
