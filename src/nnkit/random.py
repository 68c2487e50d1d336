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
