"""eager_scan (the eager backends' scan) and backend.scan: against a Python loop, and differentiated."""
import numpy as np
import pytest

import nnkit.ops as ops
from gradcheck import check_gradients, check_tape_matches_jax, to_host
from nnkit.backends import active
from nnkit.ops.eager_scan import eager_scan

XS = np.random.default_rng(0).uniform(-1.0, 1.0, (5, 3))
H0 = np.random.default_rng(1).uniform(-1.0, 1.0, (3,))
W = np.random.default_rng(2).uniform(-0.8, 0.8, (3, 3))


def _rnn_reference(h, xs, w):
    ys = []
    for x in xs:
        h = np.tanh(x + h @ w)
        ys.append(2.0 * h)
    return h, np.stack(ys)


def _rnn(scan, h, xs, w):
    def step(carry, x):
        new = ops.tanh(ops.add(x, ops.matmul(carry, w)))
        return new, ops.multiply(new, 2.0)

    return scan(step, h, xs)


@pytest.mark.parametrize("scan_kind", ["eager_scan", "backend.scan"])
def test_scan_matches_python_loop(backend, scan_kind):
    scan = eager_scan if scan_kind == "eager_scan" else backend.scan
    h, ys = _rnn(scan, backend.asarray(H0), backend.asarray(XS), backend.asarray(W))
    ref_h, ref_ys = _rnn_reference(H0, XS, W)
    np.testing.assert_allclose(to_host(h), ref_h, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(to_host(ys), ref_ys, rtol=1e-6, atol=1e-7)
    assert to_host(ys).shape == (5, 3)


def test_scan_with_tuple_carry_tuple_xs_and_tuple_ys(backend):
    a, b = XS, XS[:, ::-1] * 0.5

    def step(carry, x):
        total, count = carry
        xa, xb = x
        total = ops.add(total, ops.multiply(xa, xb))
        return (total, ops.add(count, 1.0)), (total, ops.sum(xa))

    (total, count), (running, sums) = eager_scan(
        step, (backend.asarray(np.zeros(3)), backend.asarray(np.float64(0.0))), (backend.asarray(a), backend.asarray(b))
    )
    np.testing.assert_allclose(to_host(total), (a * b).sum(0), rtol=1e-6)
    assert float(to_host(count)) == 5.0
    np.testing.assert_allclose(to_host(running), np.cumsum(a * b, axis=0), rtol=1e-6)
    np.testing.assert_allclose(to_host(sums), a.sum(1), rtol=1e-6)


def test_scan_with_no_outputs(backend):
    carry, ys = eager_scan(lambda c, x: (ops.add(c, x), None), backend.asarray(np.zeros(3)), backend.asarray(XS))
    assert ys is None
    np.testing.assert_allclose(to_host(carry), XS.sum(0), rtol=1e-6)


def test_scan_gradient_matches_finite_differences(backend):
    """Through the tape on NumPy (eager_scan records each step), through lax.scan on JAX."""
    # jit: lax.scan re-traces and re-compiles a fresh step closure on every eager call (identity on NumPy).
    check_gradients(lambda h, xs, w: _rnn(active.backend.scan, h, xs, w), H0, XS, W, jit=True)


def test_scan_tape_gradient_matches_jax_lax_scan():
    check_tape_matches_jax(lambda h, xs, w: _rnn(active.backend.scan, h, xs, w), H0, XS, W, jit=True)
