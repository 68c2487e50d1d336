"""The contract every backend fills (base.Backend), run on each installed backend.

A new backend passes this file before anything else: arrays and transfer, keyed randomness, scan, erf,
index_add, value_and_grad, jit, stop_gradient.
"""
import math

import numpy as np
import pytest

import nnkit.ops as ops
from gradcheck import check_gradients, float64_enabled, to_host
from nnkit.backends.base import Backend


def test_declares_its_identity(backend):
    assert isinstance(backend, Backend)
    assert isinstance(backend.name, str) and backend.xp is not None
    assert isinstance(backend.uses_tape, bool)
    assert isinstance(backend.describe(), str) and backend.describe()
    assert backend.fused_update("no-such-update") is None


# --- arrays and transfer ------------------------------------------------------------------------------
ROUND_TRIP = {
    "float32": np.array([0.1, -0.0, 1e-45, 1e-40, np.inf, -np.inf, np.nan, 3.4028235e38], np.float32),
    "float64": np.array([0.1, -0.0, 5e-324, 1e-310, np.inf, np.nan, 1.7976931348623157e308]),
    "int32": np.array([[-(2**31), 0], [7, 2**31 - 1]], np.int32),
    "bool": np.array([True, False, True]),
    "float16": np.array([0.1, 65504.0, 6e-8], np.float16),
    "0-d": np.array(2.5, np.float32),
}


@pytest.mark.parametrize("kind", sorted(ROUND_TRIP))
def test_asarray_to_numpy_round_trip_is_bit_exact(backend, kind):
    host = ROUND_TRIP[kind]
    with float64_enabled():  # JAX would store float64 as float32 otherwise
        device = backend.asarray(host)
        assert backend.is_array(device)
        back = backend.to_numpy(device)
    assert isinstance(back, np.ndarray)
    assert back.dtype == host.dtype and back.shape == host.shape
    assert back.tobytes() == host.tobytes()


def test_asarray_converts_python_values_and_dtypes(backend):
    out = backend.asarray([[1, 2], [3, 4]], dtype="float32")
    assert backend.is_array(out) and np.dtype(out.dtype) == np.float32
    np.testing.assert_array_equal(backend.to_numpy(out), [[1, 2], [3, 4]])
    assert np.dtype(backend.asarray(np.ones(2, np.float64), dtype=np.float32).dtype) == np.float32


def test_is_array(backend):
    assert backend.is_array(backend.asarray(np.ones(2)))
    assert not backend.is_array([1.0, 2.0])
    assert not backend.is_array(1.0)


def test_block_until_ready_returns_its_argument(backend):
    tree = {"a": backend.asarray(np.ones(2)), "b": [backend.asarray(np.zeros(1))]}
    out = backend.block_until_ready(tree)
    np.testing.assert_array_equal(to_host(out["a"]), [1, 1])


# --- keyed randomness ----------------------------------------------------------------------------------
def _draws(backend, key):
    return (to_host(backend.uniform(key, (64,), "float32")), to_host(backend.normal(key, (64,), "float32")))


def test_same_key_same_numbers(backend):
    (u1, n1), (u2, n2) = _draws(backend, backend.random_key(42)), _draws(backend, backend.random_key(42))
    np.testing.assert_array_equal(u1, u2)
    np.testing.assert_array_equal(n1, n2)
    folded = [_draws(backend, backend.fold_in(backend.random_key(42), 3)) for _ in range(2)]
    np.testing.assert_array_equal(folded[0][0], folded[1][0])


def test_different_keys_different_numbers(backend):
    base = _draws(backend, backend.random_key(42))
    others = [
        _draws(backend, backend.random_key(43)),
        _draws(backend, backend.fold_in(backend.random_key(42), 0)),
        _draws(backend, backend.fold_in(backend.random_key(42), 1)),
    ]
    for other in others:
        assert not np.array_equal(base[0], other[0])
        assert not np.array_equal(base[1], other[1])
    a = _draws(backend, backend.fold_in(backend.random_key(42), 1))
    b = _draws(backend, backend.fold_in(backend.random_key(42), 2))
    assert not np.array_equal(a[0], b[0])


def test_large_seeds_and_fold_in_data_are_accepted(backend):
    for seed in (0, 2**32 + 5, 2**63 - 1):
        assert to_host(backend.uniform(backend.random_key(seed), (3,), "float32")).shape == (3,)
    key = backend.random_key(0)
    draws = [to_host(backend.uniform(backend.fold_in(key, data), (8,), "float32")) for data in (-1, 2**40 + 3, 7)]
    assert not np.array_equal(draws[0], draws[1]) and not np.array_equal(draws[1], draws[2])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_uniform_in_range_with_the_requested_dtype(backend, dtype):
    with float64_enabled():
        key = backend.random_key(0)
        u = backend.uniform(key, (20000,), dtype)
        assert np.dtype(u.dtype) == np.dtype(dtype) and tuple(u.shape) == (20000,)
        u = to_host(u)
        assert u.min() >= 0.0 and u.max() < 1.0
        # float16 has 2**-11 resolution near 1: a float64 draw rounded to it reaches 1.0 unless guarded
        many = to_host(backend.uniform(backend.fold_in(key, 2), (200000,), dtype))
        assert many.max() < 1.0
        assert abs(u.mean() - 0.5) < 0.01 and abs(u.std() - math.sqrt(1 / 12)) < 0.01
        s = to_host(backend.uniform(backend.fold_in(key, 1), (4000, 5), dtype, minval=-2.0, maxval=3.0))
        assert s.shape == (4000, 5) and s.min() >= -2.0 and s.max() < 3.0
        assert abs(s.mean() - 0.5) < 0.1


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_moments_and_dtype(backend, dtype):
    with float64_enabled():
        n = backend.normal(backend.random_key(1), (20000,), dtype)
        assert np.dtype(n.dtype) == np.dtype(dtype)
        n = to_host(n)
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1.0) < 0.03


# --- scan -----------------------------------------------------------------------------------------------
def test_scan_matches_a_python_loop(backend):
    xs = np.random.default_rng(0).uniform(-1, 1, (6, 2)).astype(np.float32)

    def step(carry, x):
        carry = ops.add(ops.multiply(carry, 0.9), x)
        return carry, ops.sum(ops.square(carry))

    carry, ys = backend.scan(step, backend.asarray(np.zeros(2, np.float32)), backend.asarray(xs))
    ref_c, ref_ys = np.zeros(2, np.float32), []
    for x in xs:
        ref_c = ref_c * 0.9 + x
        ref_ys.append((ref_c**2).sum())
    np.testing.assert_allclose(to_host(carry), ref_c, rtol=1e-6)
    np.testing.assert_allclose(to_host(ys), ref_ys, rtol=1e-5)
    assert np.dtype(carry.dtype) == np.float32


def test_scan_gradient(backend):
    """On NumPy this differentiates the eager loop through the tape; on JAX, lax.scan through jax.grad."""

    def fn(c0, xs, a):
        def step(carry, x):
            carry = ops.tanh(ops.add(ops.multiply(carry, a), x))
            return carry, ops.multiply(carry, x)

        return backend.scan(step, c0, xs)

    rng = np.random.default_rng(3)
    # jit: an eager lax.scan re-compiles its fresh step closure on every call (jit is identity on NumPy).
    check_gradients(fn, rng.uniform(-1, 1, (2,)), rng.uniform(-1, 1, (4, 2)), rng.uniform(0.2, 0.9, (2,)), jit=True)


# --- special functions and kernels -----------------------------------------------------------------------
def test_erf_matches_math_erf(backend):
    x = np.array([-6.0, -2.5, -1.0, -0.3, -1e-8, 0.0, 1e-8, 0.3, 1.0, 2.5, 6.0, 30.0])
    with float64_enabled():
        out = backend.erf(backend.asarray(x))
        assert np.dtype(out.dtype) == np.float64
        np.testing.assert_allclose(to_host(out), [math.erf(v) for v in x], rtol=1e-14, atol=1e-16)
    out32 = backend.erf(backend.asarray(x.astype(np.float32)))
    assert np.dtype(out32.dtype) == np.float32
    np.testing.assert_allclose(to_host(out32), [math.erf(v) for v in x.astype(np.float32)], rtol=1e-6, atol=1e-7)


def test_index_add_accumulates_repeats(backend):
    target = backend.asarray(np.zeros((4, 2), np.float32))
    updates = backend.asarray(np.array([[1, 1], [2, 2], [3, 3], [4, 4]], np.float32))
    out = backend.index_add(target, np.array([3, 0, 3, 3]), updates)
    np.testing.assert_array_equal(to_host(out), [[2, 2], [0, 0], [0, 0], [8, 8]])
    assert np.dtype(out.dtype) == np.float32


def test_index_add_with_a_tuple_index(backend):
    target = backend.asarray(np.ones((3, 3)))
    out = backend.index_add(target, (np.array([0, 0, 2]), np.array([1, 1, 2])), backend.asarray(np.array([1.0, 2.0, 5.0])))
    expected = np.ones((3, 3))
    expected[0, 1] += 3.0
    expected[2, 2] += 5.0
    np.testing.assert_array_equal(to_host(out), expected)


# --- differentiation and compilation ----------------------------------------------------------------------
def test_value_and_grad_contract(backend):
    vag = backend.value_and_grad(lambda p, scale: (ops.sum(ops.multiply(ops.square(p[0]), scale)), ops.mean(p[1])))
    x = backend.asarray(np.array([1.0, 2.0], np.float32))
    y = backend.asarray(np.array([4.0], np.float32))
    (loss, aux), grads = vag([x, y], 3.0)
    np.testing.assert_allclose(float(to_host(loss)), 15.0)
    np.testing.assert_allclose(float(to_host(aux)), 4.0)
    np.testing.assert_allclose(to_host(grads[0]), [6.0, 12.0])
    np.testing.assert_array_equal(to_host(grads[1]), [0.0])


def test_jit_computes_the_same_function(backend):
    def step(params, x):
        (loss, _), grads = backend.value_and_grad(lambda p, x: (ops.sum(ops.square(ops.matmul(x, p[0]))), None))(params, x)
        return loss, [p - 0.1 * g for p, g in zip(params, grads)]

    w = np.array([[0.5], [-0.25]], np.float32)
    x = np.array([[1.0, 2.0], [3.0, -1.0]], np.float32)
    eager_loss, eager_params = step([backend.asarray(w)], backend.asarray(x))
    jitted = backend.jit(step)
    for _ in range(2):  # second call reuses the compiled program
        loss, params = jitted([backend.asarray(w)], backend.asarray(x))
        np.testing.assert_allclose(float(to_host(loss)), float(to_host(eager_loss)), rtol=1e-6)
        np.testing.assert_allclose(to_host(params[0]), to_host(eager_params[0]), rtol=1e-6)


def test_stop_gradient_keeps_the_value(backend):
    x = backend.asarray(np.array([1.5, -2.0], np.float32))
    np.testing.assert_array_equal(to_host(backend.stop_gradient(x)), [1.5, -2.0])
    np.testing.assert_array_equal(to_host(ops.stop_gradient(x)), [1.5, -2.0])
