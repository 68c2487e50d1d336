"""nnkit.ops.linalg.matmul: 1-D, 2-D, batched, broadcast and N-D @ 2-D products and their gradients."""

import numpy as np

import nnkit.ops as ops
from gradcheck import Case, conformance_tests, to_host
from nnkit.ops.variable import Variable


def _rand(shape, seed):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, shape)


def _np_matmul(a, b):
    """Reference product written with einsum (independent of matmul's own broadcasting code)."""
    if a.ndim == 1 and b.ndim == 1:
        return np.einsum("k,k->", a, b)
    if a.ndim == 1:
        return np.einsum("k,...kn->...n", a, b)
    if b.ndim == 1:
        return np.einsum("...mk,k->...m", a, b)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    return np.einsum("...mk,...kn->...mn", a, b)


SHAPES = {
    "vector@vector": ((3,), (3,)),
    "vector@matrix": ((3,), (3, 4)),
    "matrix@vector": ((2, 3), (3,)),
    "matrix@matrix": ((2, 3), (3, 4)),
    "batched@batched": ((5, 2, 3), (5, 3, 4)),
    "matrix@batched": ((2, 3), (5, 3, 4)),
    "batched@matrix": ((5, 2, 3), (3, 4)),
    "4d@matrix": ((2, 5, 2, 3), (3, 4)),
    "batched@vector": ((5, 2, 3), (3,)),
    "vector@batched": ((3,), (5, 3, 4)),
    "broadcast-batch": ((2, 1, 2, 3), (5, 3, 4)),
}
# JAX computes every product with its own rules: a few representatives run there, the tape runs all.
ON_JAX = {"vector@vector", "matrix@matrix", "batched@matrix", "vector@batched"}

CASES = {
    name: Case(ops.matmul, _np_matmul, (_rand(sa, 1), _rand(sb, 2)), jax=name in ON_JAX)
    for name, (sa, sb) in SHAPES.items()
}
CASES["operator-@"] = Case(lambda a, b: a @ b if not isinstance(a, np.ndarray) else ops.matmul(a, b), _np_matmul,
                           (_rand((2, 3), 3), _rand((3, 2), 4)), jax=False)

(test_forward_matches_float64_reference, test_float32_stays_float32, test_gradient_matches_finite_differences,
 test_tape_gradient_matches_jax) = conformance_tests(CASES)


def test_matmul_operator_on_variables(backend):
    a = Variable(np.arange(6.0, dtype=np.float32).reshape(2, 3), backend=backend)
    b = Variable(np.ones((3, 2), dtype=np.float32), backend=backend)
    np.testing.assert_allclose(to_host(a @ b), [[3.0, 3.0], [12.0, 12.0]])
    np.testing.assert_allclose(to_host(np.ones((2, 2), np.float32) @ a), [[3.0, 5.0, 7.0]] * 2)
