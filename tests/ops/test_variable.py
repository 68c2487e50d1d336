"""nnkit.ops.variable.Variable: a named backend array that ops and Python operators accept."""
import numpy as np
import pytest

import nnkit.ops as ops
from gradcheck import to_host
from nnkit.backends import available_backends, get_backend
from nnkit.ops.variable import Variable

HAS_JAX = "jax" in available_backends()


def test_construction(backend):
    v = Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="kernel", trainable=False, backend=backend)
    assert v.name == v.path == "kernel" and v.trainable is False
    assert v.backend is backend and backend.is_array(v.value)
    assert v.shape == (2, 3) and isinstance(v.shape, tuple) and v.ndim == 2 and len(v) == 2
    assert np.dtype(v.dtype) == np.float32
    assert "kernel" in repr(v) and "(2, 3)" in repr(v)


def test_defaults_to_the_active_backend(backend):
    assert Variable(np.zeros(2)).backend is backend


def test_ops_accept_variables_and_return_arrays(backend):
    v = Variable(np.array([1.0, -2.0, 3.0], np.float32), backend=backend)
    out = ops.add(v, 1.0)
    assert not isinstance(out, Variable) and backend.is_array(out)
    np.testing.assert_array_equal(to_host(out), [2.0, -1.0, 4.0])
    np.testing.assert_array_equal(to_host(ops.relu(v)), [1.0, 0.0, 3.0])
    np.testing.assert_array_equal(to_host(ops.concatenate([v, v])), [1, -2, 3, 1, -2, 3])
    np.testing.assert_allclose(float(to_host(ops.sum(v))), 2.0)


def test_operators(backend):
    a = np.array([[1.0, -2.0], [3.0, 4.0]], np.float32)
    v = Variable(a, backend=backend)
    w = Variable(np.eye(2, dtype=np.float32) * 2, backend=backend)
    checks = {
        "add": (v + 1, a + 1), "radd": (1 + v, 1 + a), "sub": (v - 1, a - 1), "rsub": (1 - v, 1 - a),
        "mul": (v * v, a * a), "rmul": (2 * v, 2 * a), "div": (v / 2, a / 2), "rdiv": (2 / v, 2 / a),
        "pow": (v**2, a**2), "rpow": (2**v, 2**a), "neg": (-v, -a), "abs": (abs(v), np.abs(a)),
        "matmul": (v @ w, a @ (np.eye(2) * 2)), "getitem": (v[1], a[1]), "slice": (v[:, 0], a[:, 0]),
        "T": (v.T, a.T), "lt": (v < 0, a < 0), "le": (v <= 1, a <= 1), "gt": (v > 3, a > 3), "ge": (v >= 3, a >= 3),
        "variable+variable": (v + w, a + 2 * np.eye(2)),
    }
    for name, (got, want) in checks.items():
        assert not isinstance(got, Variable), name
        np.testing.assert_allclose(to_host(got), want, rtol=1e-6, err_msg=name)
        if np.asarray(want).dtype.kind == "f":
            assert np.dtype(got.dtype) == np.float32, name


def test_numpy_array_on_the_left(backend):
    v = Variable(np.array([1.0, 2.0], np.float32), backend=backend)
    np.testing.assert_allclose(to_host(np.array([10.0, 20.0], np.float32) + v), [11.0, 22.0])
    np.testing.assert_allclose(to_host(np.array([10.0, 20.0], np.float32) * v), [10.0, 40.0])


def test_assign(backend):
    v = Variable(np.zeros(3, np.float32), name="counter", backend=backend)
    v.assign(backend.asarray(np.array([1.0, 2.0, 3.0], np.float32)))
    np.testing.assert_array_equal(v.numpy(), [1, 2, 3])
    v.assign([4, 5, 6])  # a Python value takes the variable's dtype
    assert np.dtype(v.dtype) == np.float32
    np.testing.assert_array_equal(v.numpy(), [4, 5, 6])
    with pytest.raises(ValueError, match="counter"):
        v.assign(backend.asarray(np.zeros(4, np.float32)))


def test_numpy_is_an_independent_host_copy(backend):
    v = Variable(np.array([1.0, 2.0], np.float32), backend=backend)
    host = v.numpy()
    assert type(host) is np.ndarray
    host[0] = 99.0
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(v), [1.0, 2.0])
    assert np.asarray(v, dtype=np.float64).dtype == np.float64


@pytest.mark.skipif(not HAS_JAX, reason="jax is not installed")
def test_move_between_backends_is_bit_exact():
    numpy_backend, jax_backend = get_backend("numpy"), get_backend("jax")
    bits = np.array([0.1, -0.0, 1e-40, np.inf, -np.nan, 3.4e38], np.float32)
    v = Variable(bits, backend=numpy_backend)
    v.move_to(jax_backend)
    assert v.backend is jax_backend and jax_backend.is_array(v.value)
    v.move_to(numpy_backend)
    assert v.backend is numpy_backend and isinstance(v.value, np.ndarray)
    np.testing.assert_array_equal(v.numpy().view(np.uint32), bits.view(np.uint32))
    same = v.value
    v.move_to(numpy_backend)  # moving to where it already is changes nothing
    assert v.value is same
