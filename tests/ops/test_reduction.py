"""nnkit.ops.reduction: every reduction over axis/keepdims variants, against NumPy float64 references."""

import numpy as np
import pytest

import nnkit.ops as ops
from gradcheck import Case, conformance_tests, to_host


X = np.random.default_rng(0).uniform(-2.0, 2.0, (2, 3, 4))  # distinct values: no max/min ties
X_POS = np.random.default_rng(1).uniform(0.5, 1.5, (2, 3, 4))

AXES = [(None, False), (None, True), (1, False), (-1, True), ((0, 2), False), ((0, -1), True)]
FEW_AXES = [(None, False), (-1, True), ((0, 2), False)]


def _np_var(x, axis=None, keepdims=False):
    m = np.mean(x, axis=axis, keepdims=True)
    return np.mean((x - m) ** 2, axis=axis, keepdims=keepdims)


def _np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    return np.log(np.sum(np.exp(x - m), axis=axis, keepdims=keepdims)) + (m if keepdims else np.squeeze(m, axis=axis))


REDUCTIONS = {
    "sum": (ops.sum, np.sum, X, AXES),
    "mean": (ops.mean, np.mean, X, AXES),
    "max": (ops.max, np.max, X, AXES),
    "min": (ops.min, np.min, X, AXES),
    "logsumexp": (ops.logsumexp, _np_logsumexp, X, AXES),
    "prod": (ops.prod, np.prod, X_POS, AXES),
    "var": (ops.var, _np_var, X, FEW_AXES),
    "std": (ops.std, lambda x, axis=None, keepdims=False: np.sqrt(_np_var(x, axis, keepdims)), X, FEW_AXES),
    "norm": (ops.norm, lambda x, axis=None, keepdims=False: np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims)), X, FEW_AXES),
}


def _bind(fn, axis, keepdims):
    return lambda x: fn(x, axis=axis, keepdims=keepdims)


CASES = {}
for name, (fn, ref, x, axes) in REDUCTIONS.items():
    for k, (axis, keepdims) in enumerate(axes):
        # The axis/keepdims sweep exercises the tape's VJPs; JAX runs two variants of each reduction.
        on_jax = (axis, keepdims) in ((None, False), ((0, 2), False)) if axes is FEW_AXES else (axis, keepdims) in (
            (None, False), ((0, -1), True))
        CASES[f"{name}-axis={axis}-keepdims={keepdims}"] = Case(
            _bind(fn, axis, keepdims), _bind(ref, axis, keepdims), (x,), jax=on_jax
        )
# prod with a zero: the gradient is the product of the other entries (finite, not 0/0).
X_ZERO = X_POS.copy()
X_ZERO[0, 1, 2] = 0.0
X_ZERO[1, 2, 0] = 0.0
X_ZERO[1, 2, 3] = 0.0  # two zeros in one reduced group along the last axis: gradient 0 there
CASES["prod-with-zeros-axis=-1"] = Case(lambda x: ops.prod(x, axis=-1), lambda x: np.prod(x, axis=-1), (X_ZERO,))
CASES["prod-with-zeros-axis=None"] = Case(lambda x: ops.prod(x[0]), lambda x: np.prod(x[0]), (X_ZERO,))
CASES["logsumexp-large"] = Case(lambda x: ops.logsumexp(x, axis=-1), lambda x: _np_logsumexp(x, axis=-1), (X * 400.0,))
CASES["sum-0d"] = Case(ops.sum, np.sum, (np.array(1.5),))

(test_forward_matches_float64_reference, test_float32_stays_float32, test_gradient_matches_finite_differences,
 test_tape_gradient_matches_jax) = conformance_tests(CASES)


@pytest.mark.parametrize("op", [ops.max, ops.min])
def test_extremum_ties_split_the_gradient_evenly(backend, op):
    """Where several entries attain the max (min), each gets an equal share of the gradient, as in JAX."""
    x = backend.asarray(np.array([[1.0, 3.0, 3.0, -1.0], [-2.0, -2.0, 0.5, -2.0]], dtype=np.float32))
    w = backend.asarray(np.array([2.0, 3.0], dtype=np.float32))
    (_, _), (grad,) = backend.value_and_grad(lambda p: (ops.sum(ops.multiply(op(p[0], axis=1), w)), None))([x])
    if op is ops.max:
        expected = [[0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 3.0, 0.0]]
    else:
        expected = [[0.0, 0.0, 0.0, 2.0], [1.0, 1.0, 0.0, 1.0]]
    assert np.dtype(grad.dtype) == np.float32
    np.testing.assert_allclose(to_host(grad), expected, rtol=1e-6)


@pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")
def test_logsumexp_handles_infinities(backend):
    x = backend.asarray(np.array([[-np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf], [1000.0, 1000.0, -np.inf]]))
    out = to_host(ops.logsumexp(x, axis=1))
    np.testing.assert_allclose(out[0], np.log(1.0 + np.e), rtol=1e-6)
    assert out[1] == -np.inf
    np.testing.assert_allclose(out[2], 1000.0 + np.log(2.0), rtol=1e-6)


ARG_X = np.array([[0.5, -1.0, 2.0, 2.0], [3.0, 1.0, -4.0, 0.0], [-1.0, -1.0, -1.0, 7.0]])


@pytest.mark.parametrize(
    "fn, ref",
    [
        (lambda x: ops.argmax(x), lambda x: np.argmax(x, axis=-1)),
        (lambda x: ops.argmax(x, axis=0), lambda x: np.argmax(x, axis=0)),
        (lambda x: ops.argmin(x), lambda x: np.argmin(x, axis=-1)),
        (lambda x: ops.argmin(x, axis=0), lambda x: np.argmin(x, axis=0)),
        (lambda x: ops.argsort(x[:, :3]), lambda x: np.argsort(x[:, :3], axis=-1)),
        (lambda x: ops.argsort(x, axis=0), lambda x: np.argsort(x, axis=0, kind="stable")),
    ],
    ids=["argmax", "argmax-axis0", "argmin", "argmin-axis0", "argsort", "argsort-axis0"],
)
def test_index_reductions(backend, fn, ref):
    """Integer results equal NumPy's (first index wins a tie), and the tape records nothing for them."""
    out = fn(backend.asarray(ARG_X.astype(np.float32)))
    assert np.dtype(out.dtype).kind == "i"
    np.testing.assert_array_equal(to_host(out), ref(ARG_X))
    (_, aux), (grad,) = backend.value_and_grad(lambda p: (ops.sum(p[0]), fn(p[0])))([backend.asarray(ARG_X)])
    np.testing.assert_array_equal(to_host(aux), ref(ARG_X))


@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (-1, True)])
def test_any_all(backend, axis, keepdims):
    m = np.array([[True, False, False], [True, True, True]])
    bm = backend.asarray(m)
    np.testing.assert_array_equal(to_host(ops.any(bm, axis=axis, keepdims=keepdims)), np.any(m, axis=axis, keepdims=keepdims))
    np.testing.assert_array_equal(to_host(ops.all(bm, axis=axis, keepdims=keepdims)), np.all(m, axis=axis, keepdims=keepdims))


def test_mean_of_integers_is_float(backend):
    out = ops.mean(backend.asarray(np.array([1, 2, 4], dtype=np.int32)))
    assert np.dtype(out.dtype).kind == "f"
    np.testing.assert_allclose(float(to_host(out)), 7.0 / 3.0, rtol=1e-6)
