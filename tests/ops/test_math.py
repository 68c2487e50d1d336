"""nnkit.ops.math: forward against NumPy float64 references, gradients against finite differences and jax.grad."""
import math

import numpy as np
import pytest

import nnkit.ops as ops
from gradcheck import Case, conformance_tests, float64_enabled, to_host


def signed(shape, seed, lo=0.3, hi=2.0):
    """Random values with |x| in [lo, hi] (away from the kinks at 0)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


def positive(shape, seed, lo=0.3, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


def uniform(shape, seed, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


_erf = np.vectorize(math.erf, otypes=[np.float64])

UNARY = {
    "negative": (ops.negative, np.negative, uniform),
    "exp": (ops.exp, np.exp, uniform),
    "expm1": (ops.expm1, np.expm1, uniform),
    "log": (ops.log, np.log, positive),
    "log1p": (ops.log1p, np.log1p, lambda s, k: uniform(s, k, -0.7, 2.0)),
    "sqrt": (ops.sqrt, np.sqrt, positive),
    "square": (ops.square, lambda x: x * x, uniform),
    "abs": (ops.abs, np.abs, signed),
    "sin": (ops.sin, np.sin, uniform),
    "cos": (ops.cos, np.cos, uniform),
    "tanh": (ops.tanh, np.tanh, uniform),
    "reciprocal": (ops.reciprocal, lambda x: 1.0 / x, signed),
    "erf": (ops.erf, _erf, uniform),
}

BINARY = {
    "add": (ops.add, lambda a, b: a + b, uniform, uniform),
    "subtract": (ops.subtract, lambda a, b: a - b, uniform, uniform),
    "multiply": (ops.multiply, lambda a, b: a * b, uniform, uniform),
    "divide": (ops.divide, lambda a, b: a / b, uniform, signed),
    "power": (ops.power, lambda a, b: np.exp(b * np.log(a)), positive, lambda s, k: uniform(s, k, -1.5, 2.5)),
    "maximum": (ops.maximum, lambda a, b: np.where(a > b, a, b), uniform, uniform),
    "minimum": (ops.minimum, lambda a, b: np.where(a < b, a, b), uniform, uniform),
}

# Shape pairs exercising broadcasting in both directions; gradients must sum back to each shape.
BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (3, 4))]

CASES = {}
for name, (fn, ref, make) in UNARY.items():
    CASES[name] = Case(fn, ref, (make((3, 4), 1),))
for name in ("exp", "log", "sqrt", "abs", "erf"):  # 0-d inputs (NumPy returns scalars for these)
    fn, ref, make = UNARY[name]
    CASES[f"{name}-0d"] = Case(fn, ref, (make((), 2),), jax=name == "exp")
for name, (fn, ref, make_a, make_b) in BINARY.items():
    for k, (sa, sb) in enumerate(BROADCAST):
        # JAX does its own broadcasting: one broadcast case per op there; the tape runs them all.
        on_jax = k == 0 or (k == 2 and name in ("add", "multiply", "divide"))
        CASES[f"{name}-{sa}-{sb}"] = Case(fn, ref, (make_a(sa, 3), make_b(sb, 4)), jax=on_jax)

# Python scalars on either side (they must not upcast float32; the gradient only flows to the array).
SCALAR = {
    "add-scalar": (lambda x: ops.add(x, 2.5), lambda x: x + 2.5),
    "radd-scalar": (lambda x: ops.add(2.5, x), lambda x: 2.5 + x),
    "subtract-scalar": (lambda x: ops.subtract(1, x), lambda x: 1 - x),
    "multiply-scalar": (lambda x: ops.multiply(x, -3.0), lambda x: x * -3.0),
    "divide-scalar": (lambda x: ops.divide(1.0, x), lambda x: 1.0 / x),
    "divide-by-scalar": (lambda x: ops.divide(x, 4), lambda x: x / 4),
    "power-int": (lambda x: ops.power(x, 3), lambda x: x**3),
    "power-half": (lambda x: ops.power(x, 0.5), np.sqrt),
    "rpower": (lambda x: ops.power(2.0, x), lambda x: 2.0**x),
    "maximum-scalar": (lambda x: ops.maximum(x, 0.0), lambda x: np.where(x > 0, x, 0.0)),
    "minimum-scalar": (lambda x: ops.minimum(x, 0.5), lambda x: np.where(x < 0.5, x, 0.5)),
    "operators": (lambda x: -(2 * x + 1) / (x - 3.5) ** 2 * abs(x), lambda x: -(2 * x + 1) / (x - 3.5) ** 2 * np.abs(x)),
}
for name, (fn, ref) in SCALAR.items():
    CASES[name] = Case(fn, ref, (positive((2, 3), 5) if "power" in name or "divide-scalar" in name else signed((2, 3), 5),))

_COND = np.random.default_rng(7).random((3, 4)) > 0.5
CASES["where"] = Case(lambda a, b: ops.where(_COND, a, b), lambda a, b: np.where(_COND, a, b), (uniform((3, 4), 8), uniform((3, 4), 9)))
CASES["where-broadcast"] = Case(
    lambda a, b: ops.where(_COND, a, b), lambda a, b: np.where(_COND, a, b), (uniform((3, 1), 8), uniform((4,), 9))
)
CASES["where-scalar"] = Case(lambda a: ops.where(_COND, a, 0.0), lambda a: np.where(_COND, a, 0.0), (uniform((3, 4), 8),))
CASES["where-array-condition"] = Case(
    lambda c, a: ops.where(ops.greater(c, 0.0), a, ops.negative(a)),
    lambda c, a: np.where(c > 0, a, -a),
    (signed((3, 4), 10), uniform((3, 4), 11)),
)
# Points kept 0.1 away from the clip bounds so that finite differences see one side only.
_CLIP_X = np.array([[-2.0, -1.3, -0.9, -0.2], [0.1, 0.8, 0.95, 1.1], [1.5, -1.5, 0.4, 3.0]])
CASES["clip"] = Case(lambda x: ops.clip(x, -1.0, 0.9), lambda x: np.minimum(np.maximum(x, -1.0), 0.9), (_CLIP_X,))
CASES["clip-array-bounds"] = Case(
    lambda x, lo, hi: ops.clip(x, lo, hi), lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
    (_CLIP_X, np.array([-1.0, -1.6, 0.2, -0.5]), np.array([[0.5], [1.0], [2.0]])),
)
CASES["clip-int-bounds"] = Case(lambda x: ops.clip(x, 0, 1), lambda x: np.minimum(np.maximum(x, 0), 1), (_CLIP_X,))

# Ops without a gradient, composed so their output multiplies the input: the derivative treats them as
# constants on both backends (the tape records nothing for them; JAX's derivative is zero a.e.).
_HALF_AWAY = np.array([[-1.7, -0.6, -0.2, 0.3], [0.7, 1.2, 2.2, -2.4]])
CASES["sign-as-constant"] = Case(lambda x: ops.multiply(x, ops.sign(x)), lambda x: x * np.sign(x), (_HALF_AWAY,))
CASES["floor-as-constant"] = Case(lambda x: ops.multiply(x, ops.floor(x)), lambda x: x * np.floor(x), (_HALF_AWAY,))
CASES["round-as-constant"] = Case(lambda x: ops.multiply(x, ops.round(x)), lambda x: x * np.round(x), (_HALF_AWAY,))
# (Finite differences see through stop_gradient, so its gradient is tested separately below.)
CASES["stop_gradient"] = Case(lambda x: ops.multiply(x, ops.stop_gradient(x)), lambda x: x * x, (uniform((3,), 12),), False)

(test_forward_matches_float64_reference, test_float32_stays_float32, test_gradient_matches_finite_differences,
 test_tape_gradient_matches_jax) = conformance_tests(CASES)


# --- ops without gradients: exact forward values and dtypes ---------------------------------------
_A = np.array([[1.0, -2.0, np.nan, 0.0], [np.inf, 2.5, -0.5, 3.0]])
_B = np.array([[1.0, 2.0, 0.0, -0.0], [np.inf, 2.0, -0.5, 4.0]])
COMPARISONS = {
    "equal": (ops.equal, np.equal),
    "not_equal": (ops.not_equal, np.not_equal),
    "greater": (ops.greater, np.greater),
    "greater_equal": (ops.greater_equal, np.greater_equal),
    "less": (ops.less, np.less),
    "less_equal": (ops.less_equal, np.less_equal),
}


@pytest.mark.parametrize("name", sorted(COMPARISONS))
def test_comparisons_return_bool(backend, name):
    fn, ref = COMPARISONS[name]
    out = fn(backend.asarray(_A.astype(np.float32)), backend.asarray(_B.astype(np.float32)))
    assert np.dtype(out.dtype) == np.bool_
    np.testing.assert_array_equal(to_host(out), ref(_A, _B))
    # Broadcasting against a Python scalar.
    np.testing.assert_array_equal(to_host(fn(backend.asarray(_A), 1.0)), ref(_A, 1.0))


def test_logical_ops(backend):
    p = np.array([True, True, False, False])
    q = np.array([True, False, True, False])
    bp, bq = backend.asarray(p), backend.asarray(q)
    np.testing.assert_array_equal(to_host(ops.logical_and(bp, bq)), [True, False, False, False])
    np.testing.assert_array_equal(to_host(ops.logical_or(bp, bq)), [True, True, True, False])
    np.testing.assert_array_equal(to_host(ops.logical_not(bp)), [False, False, True, True])


def test_isnan_isfinite(backend):
    x = backend.asarray(np.array([0.0, np.nan, np.inf, -np.inf, -3.0], dtype=np.float32))
    np.testing.assert_array_equal(to_host(ops.isnan(x)), [False, True, False, False, False])
    np.testing.assert_array_equal(to_host(ops.isfinite(x)), [True, False, False, False, True])


def test_sign_floor_round_values(backend):
    x = np.array([-2.5, -1.5, -0.4, 0.0, 0.4, 1.5, 2.5, 2.7], dtype=np.float32)
    bx = backend.asarray(x)
    np.testing.assert_array_equal(to_host(ops.sign(bx)), [-1, -1, -1, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(to_host(ops.floor(bx)), [-3, -2, -1, 0, 0, 1, 2, 2])
    # Round half to even, as NumPy, JAX and Keras do.
    np.testing.assert_array_equal(to_host(ops.round(bx)), [-2, -2, -0, 0, 0, 2, 2, 3])
    for op in (ops.sign, ops.floor, ops.round):
        assert np.dtype(op(bx).dtype) == np.float32


def test_cast(backend):
    x = backend.asarray(np.array([-1.7, -0.2, 0.5, 2.9], dtype=np.float32))
    as_int = ops.cast(x, "int32")
    assert np.dtype(as_int.dtype) == np.int32
    np.testing.assert_array_equal(to_host(as_int), [-1, 0, 0, 2])
    back = ops.cast(as_int, "float32")
    assert np.dtype(back.dtype) == np.float32
    as_bool = ops.cast(backend.asarray(np.array([0.0, 2.0])), "bool")
    np.testing.assert_array_equal(to_host(as_bool), [False, True])


def test_cast_gradient_comes_back_in_input_dtype(backend):
    """d/dx sum(cast(x, float64) * w) = w, in x's dtype (float32)."""
    with float64_enabled():
        x = backend.asarray(np.array([0.5, -1.0, 2.0], dtype=np.float32))
        w = backend.asarray(np.array([1.0, 2.0, 3.0], dtype=np.float64))
        (value, _), (grad,) = backend.value_and_grad(
            lambda p: (ops.sum(ops.multiply(ops.cast(p[0], "float64"), w)), None)
        )([x])
        assert np.dtype(grad.dtype) == np.float32
        np.testing.assert_allclose(to_host(grad), [1.0, 2.0, 3.0])
        np.testing.assert_allclose(float(to_host(value)), 0.5 - 2.0 + 6.0)


def test_stop_gradient_gives_zero_gradient(backend):
    x = backend.asarray(np.array([1.0, -2.0, 3.0], dtype=np.float32))
    (value, _), (grad,) = backend.value_and_grad(lambda p: (ops.sum(ops.stop_gradient(p[0]) * 3.0), None))([x])
    np.testing.assert_allclose(float(to_host(value)), 6.0)
    np.testing.assert_array_equal(to_host(grad), np.zeros(3, np.float32))
    # Mixed: only the unstopped path contributes.
    (_, _), (grad,) = backend.value_and_grad(
        lambda p: (ops.sum(ops.add(ops.square(ops.stop_gradient(p[0])), p[0])), None)
    )([x])
    np.testing.assert_array_equal(to_host(grad), np.ones(3, np.float32))


def test_maximum_minimum_ties_send_gradient_to_one_side(backend):
    """At a tie the whole gradient goes to one argument (none lost, none duplicated)."""
    a = backend.asarray(np.array([1.0, 2.0, 3.0]))
    b = backend.asarray(np.array([1.0, 0.0, 3.0]))
    for op in (ops.maximum, ops.minimum):
        (_, _), (ga, gb) = backend.value_and_grad(lambda p: (ops.sum(op(p[0], p[1])), None))([a, b])
        total = to_host(ga) + to_host(gb)
        np.testing.assert_allclose(total, [1.0, 1.0, 1.0])


def test_python_scalar_inputs_compute_on_the_backend(backend):
    out = ops.add(backend.asarray(np.ones(2, np.float32)), 1)
    assert backend.is_array(out)
    np.testing.assert_array_equal(to_host(out), [2.0, 2.0])
