"""nnkit.ops.creation: arrays made on the active backend, with floatx as the default float type."""
import numpy as np
import pytest

import nnkit.ops as ops
from gradcheck import to_host
from nnkit import config
from nnkit.ops.variable import Variable


def _check(backend, out, expected, dtype):
    assert backend.is_array(out), f"{type(out)} is not a {backend.name} array"
    assert np.dtype(out.dtype) == np.dtype(dtype)
    np.testing.assert_array_equal(to_host(out), expected)


def test_zeros_ones_full_default_to_floatx(backend):
    _check(backend, ops.zeros((2, 3)), np.zeros((2, 3)), "float32")
    _check(backend, ops.ones((3,)), np.ones(3), "float32")
    _check(backend, ops.full((2, 2), 1.5), np.full((2, 2), 1.5), "float32")
    _check(backend, ops.zeros((2,), dtype="int32"), np.zeros(2), "int32")
    _check(backend, ops.full((2,), 7, dtype="int32"), [7, 7], "int32")


def test_floatx_is_read_at_call_time(backend):
    previous = config.floatx()
    config.set_floatx("float16")
    try:
        _check(backend, ops.ones((2,)), np.ones(2), "float16")
        _check(backend, ops.eye(2), np.eye(2), "float16")
    finally:
        config.set_floatx(previous)


def test_zeros_like_ones_like_keep_dtype_and_shape(backend):
    x = backend.asarray(np.arange(6, dtype=np.int32).reshape(2, 3))
    _check(backend, ops.zeros_like(x), np.zeros((2, 3)), "int32")
    _check(backend, ops.ones_like(x), np.ones((2, 3)), "int32")
    _check(backend, ops.ones_like(x, dtype="float32"), np.ones((2, 3)), "float32")
    v = Variable(np.ones((2,), np.float32), backend=backend)
    _check(backend, ops.zeros_like(v), np.zeros(2), "float32")


@pytest.mark.parametrize(
    "args, kwargs, expected",
    [((5,), {}, np.arange(5)), ((2, 7), {}, np.arange(2, 7)), ((1, 10, 3), {}, [1, 4, 7]),
     ((0, 1, 0.25), {"dtype": "float32"}, [0, 0.25, 0.5, 0.75])],
)
def test_arange(backend, args, kwargs, expected):
    out = ops.arange(*args, **kwargs)
    _check(backend, out, expected, kwargs.get("dtype", "int32"))


def test_eye(backend):
    _check(backend, ops.eye(3), np.eye(3), "float32")
    _check(backend, ops.eye(2, 4), np.eye(2, 4), "float32")
    _check(backend, ops.eye(2, dtype="int32"), np.eye(2), "int32")


def test_convert_to_tensor(backend):
    out = ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]], dtype="float32")
    _check(backend, out, [[1, 2], [3, 4]], "float32")
    host = np.array([1.5, 2.5], np.float32)
    _check(backend, ops.convert_to_tensor(host), host, "float32")
    _check(backend, ops.convert_to_tensor(host, dtype="float16"), host, "float16")
    # A backend array of the right dtype passes through unchanged; a Variable is left to the ops.
    same = backend.asarray(host)
    assert ops.convert_to_tensor(same) is same
    assert ops.convert_to_tensor(same, dtype=same.dtype) is same
    v = Variable(host, backend=backend)
    assert ops.convert_to_tensor(v) is v
