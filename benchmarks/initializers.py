"""Host-side (NumPy) initialisers shared by the hand-written baselines, following Keras' defaults.

The NumPy loop and the pure-JAX baseline both draw from these with the same seed, so they start from
identical weights (which `--check` relies on to compare their gradients).
"""
import math

import numpy as np


def glorot_uniform(rng, shape, fan_in, fan_out):
    """U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)), drawn directly in float32."""
    limit = np.float32(math.sqrt(6.0 / (fan_in + fan_out)))
    values = rng.random(shape, dtype=np.float32)
    values *= 2 * limit
    values -= limit
    return values


def orthogonal(rng, rows, cols):
    """A (rows, cols) matrix with orthonormal columns (or rows), as Keras' Orthogonal."""
    q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
    q = q * np.sign(np.diag(r))
    return (q if rows >= cols else q.T)[:rows, :cols].astype(np.float32)
