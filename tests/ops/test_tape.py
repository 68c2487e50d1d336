"""The value_and_grad contract on every backend (nnkit's tape on NumPy, jax.value_and_grad on JAX), and the
tape's own mechanics: recording only inside value_and_grad, fan-out accumulation, deep graphs, Tracer rules."""
import numpy as np
import pytest

import nnkit.ops as ops
from gradcheck import check_gradients, check_tape_matches_jax, to_host
from nnkit.backends import active, get_backend
from nnkit.ops import tape
from nnkit.ops.tape import Tracer


def _vag(backend, fn, *params):
    return backend.value_and_grad(fn)([backend.asarray(p) for p in params])


def test_returns_loss_aux_and_grads_in_parameter_order(backend):
    a = np.array([1.0, 2.0], np.float32)
    b = np.array([[3.0]], np.float32)
    (loss, aux), grads = _vag(backend, lambda p: (ops.sum(p[0]) * 2.0 + ops.sum(p[1] * p[1]), ops.sum(p[0])), a, b)
    np.testing.assert_allclose(float(to_host(loss)), 15.0)
    np.testing.assert_allclose(float(to_host(aux)), 3.0)
    assert isinstance(grads, (list, tuple)) and len(grads) == 2
    np.testing.assert_allclose(to_host(grads[0]), [2.0, 2.0])
    np.testing.assert_allclose(to_host(grads[1]), [[6.0]])
    for g, p in zip(grads, (a, b)):
        assert tuple(g.shape) == p.shape and np.dtype(g.dtype) == np.float32


def test_unused_parameter_gets_zero_gradient(backend):
    (loss, _), (g_used, g_unused) = _vag(
        backend, lambda p: (ops.sum(ops.square(p[0])), None), np.array([1.0, -2.0], np.float32), np.ones((2, 3), np.float32)
    )
    np.testing.assert_allclose(to_host(g_used), [2.0, -4.0])
    assert tuple(g_unused.shape) == (2, 3) and np.dtype(g_unused.dtype) == np.float32
    np.testing.assert_array_equal(to_host(g_unused), np.zeros((2, 3)))


def test_loss_independent_of_all_parameters(backend):
    (loss, _), (g,) = _vag(backend, lambda p: (ops.sum(backend.asarray(np.ones(3, np.float32))), None), np.ones(2, np.float32))
    np.testing.assert_allclose(float(to_host(loss)), 3.0)
    np.testing.assert_array_equal(to_host(g), [0.0, 0.0])


def test_parameter_used_twice_gets_the_summed_gradient(backend):
    x = np.array([0.5, -1.5, 2.0], np.float32)
    # d/dx [sum(x * x) + sum(3 x) + sum(sin(x))] = 2x + 3 + cos(x)
    (_, _), (g,) = _vag(backend, lambda p: (ops.sum(p[0] * p[0]) + ops.sum(3.0 * p[0]) + ops.sum(ops.sin(p[0])), None), x)
    np.testing.assert_allclose(to_host(g), 2 * x + 3 + np.cos(x), rtol=1e-5, atol=1e-6)


def test_diamond_graph(backend):
    """y = exp(x) feeds two branches that meet again: d/dx sum(y*y + tanh(y)) = (2y + 1 - tanh(y)^2) y."""
    x = np.array([-0.5, 0.1, 0.7])
    (_, _), (g,) = _vag(backend, lambda p: (ops.sum(ops.exp(p[0]) * ops.exp(p[0]) + ops.tanh(ops.exp(p[0]))), None), x)
    y = np.exp(x)
    np.testing.assert_allclose(to_host(g), (2 * y + 1 - np.tanh(y) ** 2) * y, rtol=1e-5)
    shared = lambda p: (ops.sum((lambda y: y * y + ops.tanh(y))(ops.exp(p[0]))), None)  # noqa: E731
    (_, _), (g2,) = _vag(backend, shared, x)
    np.testing.assert_allclose(to_host(g2), to_host(g), rtol=1e-6)


def test_aux_outputs_come_back_as_plain_arrays(backend):
    x = np.array([1.0, 2.0, 3.0], np.float32)

    def fn(p):
        h = ops.tanh(p[0])
        return ops.sum(h), {"h": h, "pair": (ops.square(p[0]), [ops.mean(h)]), "label": "text", "n": 3}

    (loss, aux), _ = _vag(backend, fn, x)
    for leaf in (loss, aux["h"], aux["pair"][0], aux["pair"][1][0]):
        assert not isinstance(leaf, Tracer)
        assert backend.is_array(leaf) or isinstance(leaf, np.generic)
    assert isinstance(aux["pair"], tuple) and isinstance(aux["pair"][1], list)
    assert aux["label"] == "text" and aux["n"] == 3
    np.testing.assert_allclose(to_host(aux["h"]), np.tanh(x), rtol=1e-6)
    np.testing.assert_allclose(to_host(aux["pair"][0]), x * x)
    # they are usable after the call with ordinary ops
    np.testing.assert_allclose(to_host(ops.add(aux["h"], 1.0)), np.tanh(x) + 1, rtol=1e-6)


def test_stop_gradient_blocks_only_its_path(backend):
    x = np.array([1.0, 2.0])
    # sum(stop(x) * x): gradient stop(x) = x, not 2x
    (_, _), (g,) = _vag(backend, lambda p: (ops.sum(ops.stop_gradient(p[0]) * p[0]), None), x)
    np.testing.assert_allclose(to_host(g), x)


def test_repeated_calls_do_not_accumulate(backend):
    fn = backend.value_and_grad(lambda p: (ops.sum(ops.square(p[0])), None))
    x = backend.asarray(np.array([1.0, 3.0], np.float32))
    first = to_host(fn([x])[1][0])
    second = to_host(fn([x])[1][0])
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first, [2.0, 6.0])


def _operators(x, y):
    """Every overloaded operator of Tracer/Variable, including reflected ones with Python scalars."""
    z = (x + y) * (y - 0.5) / (1.5 + abs(x)) - x**2 + 2.0**y - (1.0 - x) + 3.0 / (y + 4.0) + (-x) * 0.25
    return z[1:, :] @ (x.T if hasattr(x, "T") else ops.transpose(x))


def test_operator_overloads_gradients(backend):
    x = np.random.default_rng(0).uniform(0.2, 1.0, (3, 3))
    y = np.random.default_rng(1).uniform(0.2, 1.0, (3, 3))
    check_gradients(_operators, x, y)


def test_operator_overloads_tape_matches_jax():
    x = np.random.default_rng(0).uniform(0.2, 1.0, (3, 3))
    y = np.random.default_rng(1).uniform(0.2, 1.0, (3, 3))
    check_tape_matches_jax(_operators, x, y)


# --- tape mechanics (NumPy) ---------------------------------------------------------------------------
@pytest.fixture
def numpy_backend():
    backend = get_backend("numpy")
    with active.using(backend):
        yield backend


def test_nothing_is_recorded_outside_value_and_grad(numpy_backend):
    x = np.array([1.0, 2.0])
    out = ops.exp(ops.multiply(x, 2.0))
    assert type(out) is np.ndarray
    assert tape.now() is None


def test_recording_flag_is_reset_after_an_exception(numpy_backend):
    def fails(p):
        ops.exp(p[0])
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        tape.value_and_grad(fails)([np.ones(2)])
    assert tape.now() is None
    assert type(ops.exp(np.ones(2))) is np.ndarray


def test_a_gradient_taken_inside_a_gradient_computation_leaves_the_outer_one_whole(numpy_backend):
    inner_grads = []

    def inner(q):
        return ops.sum(ops.multiply(q[0], q[0])), None

    def outer(p):
        scaled = ops.multiply(p[0], 3.0)
        inner_grads.extend(tape.value_and_grad(inner)([np.array([1.0, 2.0])])[1])
        return ops.sum(ops.exp(scaled)), None

    (_, _), (grad,) = tape.value_and_grad(outer)([np.array([0.0, 1.0])])
    np.testing.assert_allclose(inner_grads[0], [2.0, 4.0])
    np.testing.assert_allclose(grad, 3.0 * np.exp([0.0, 3.0]))


def test_constants_inside_value_and_grad_are_not_traced(numpy_backend):
    seen = {}

    def fn(p):
        seen["constant"] = ops.exp(np.ones(2))  # touches no parameter
        seen["traced"] = ops.exp(p[0])
        return ops.sum(seen["traced"]), None

    tape.value_and_grad(fn)([np.ones(2)])
    assert type(seen["constant"]) is np.ndarray
    assert type(seen["traced"]) is Tracer


def test_numpy_array_on_the_left_of_a_tracer(numpy_backend):
    """ndarray (op) Tracer defers to the Tracer's reflected operator instead of converting it."""
    w = np.array([1.0, 2.0, 3.0])

    def fn(p):
        return ops.sum(w * p[0] + w - p[0] / w + w ** p[0] * 0.0 + np.float64(2.0) * p[0]), None

    (_, _), (g,) = tape.value_and_grad(fn)([np.array([0.5, 1.0, 1.5])])
    np.testing.assert_allclose(g, w - 1 / w + 2.0)


def test_tracer_refuses_conversion_to_numpy(numpy_backend):
    def fn(p):
        np.asarray(p[0])
        return ops.sum(p[0]), None

    with pytest.raises(TypeError, match="nnkit.ops"):
        tape.value_and_grad(fn)([np.ones(2)])


def test_tracer_exposes_shape_dtype_ndim_len(numpy_backend):
    def fn(p):
        t = p[0]
        assert t.shape == (2, 3) and t.ndim == 2 and len(t) == 2 and t.dtype == np.float32
        assert "Tracer" in repr(t)
        return ops.sum(t), None

    tape.value_and_grad(fn)([np.ones((2, 3), np.float32)])


def test_deep_graph_does_not_recurse(numpy_backend):
    """A 5000-step chain: the backward walk is iterative, so no RecursionError."""

    def fn(p):
        y = p[0]
        for _ in range(5000):
            y = y * 1.0001
        return ops.sum(y), None

    (_, _), (g,) = tape.value_and_grad(fn)([np.ones(2)])
    np.testing.assert_allclose(g, [1.0001**5000] * 2, rtol=1e-9)


def test_wide_fan_out(numpy_backend):
    def fn(p):
        return ops.sum(ops.stack([p[0] * float(k) for k in range(100)])), None

    (_, _), (g,) = tape.value_and_grad(fn)([np.ones(3)])
    np.testing.assert_allclose(g, [4950.0] * 3)


def test_traced_integer_labels_are_constants(numpy_backend):
    """A traced value cast to integers and fed where there is no VJP rule contributes no gradient."""
    logits = np.array([[1.0, 2.0, 0.5]])

    def fn(p):
        labels = ops.cast(p[1], "int32")
        return ops.sum(ops.sparse_softmax_cross_entropy(labels, p[0])), None

    (_, _), (g_logits, g_labels) = tape.value_and_grad(fn)([logits, np.array([1.0])])
    e = np.exp(logits - logits.max())
    np.testing.assert_allclose(g_logits, e / e.sum() - [[0, 1, 0]])
    np.testing.assert_array_equal(g_labels, [0.0])


def test_variable_with_a_traced_value(backend):
    """Models swap traced values into their Variables for the call: ops read them and gradients flow."""
    from nnkit.ops.variable import Variable

    v = Variable(np.array([1.0, 2.0], np.float32), backend=backend)
    original = v.value

    def fn(p):
        v.assign(p[0])
        return ops.sum(v * v + 1.0), None

    try:
        (_, _), (g,) = backend.value_and_grad(fn)([original])
    finally:
        v.assign(original)
    np.testing.assert_allclose(to_host(g), [2.0, 4.0])


# --- user-defined primitives ---------------------------------------------------------------------------
@ops.primitive
def _scaled_cube(xp, x, scale=1.0):
    return scale * x * x * x


_scaled_cube.defvjp(lambda xp, g, out, x, scale=1.0: g * 3.0 * scale * x * x)


def test_custom_primitive(backend):
    """forward + VJP written once: the tape uses the VJP, JAX differentiates the forward; both match FD."""
    assert isinstance(_scaled_cube, ops.Primitive) and "_scaled_cube" in repr(_scaled_cube)
    check_gradients(lambda x: _scaled_cube(x, scale=-2.0), np.array([[0.5, -1.0], [1.5, 2.0]]))


def test_primitives_can_be_jitted(backend):
    """backend.jit accepts a primitive itself (jax.jit needs to hold a weak reference to it)."""
    x = backend.asarray(np.array([-1.0, 2.0], np.float32))
    np.testing.assert_array_equal(to_host(backend.jit(ops.relu)(x)), [0.0, 2.0])
