"""The in-place NumPy optimizer kernels, Adam in its ufunc form (any array namespace) and the NumPy backend's
compiled one: Keras' math, written in place, gradients never touched."""
import numpy as np
import pytest

from nnkit.backends import numba_kernels
from nnkit.backends.fused_numpy import make_adam, make_sgd

ADAM_KERNELS = {"ufunc": make_adam(np), "compiled": numba_kernels.adam}
SGD = make_sgd(np)


@pytest.fixture(params=sorted(ADAM_KERNELS))
def adam(request):
    return ADAM_KERNELS[request.param]


def _arrays(seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in ((3, 4), (4,))]


@pytest.mark.parametrize("decay", [0.0, 0.01])
def test_adam_kernel_matches_the_formula_in_place(adam, decay):
    params, grads, ms = _arrays(0), _arrays(1), _arrays(2)
    vs = [np.abs(v) for v in _arrays(3)]
    expected = []
    for p, g, m, v in zip(params, grads, ms, vs):
        m_new = 0.9 * m + 0.1 * g
        v_new = 0.99 * v + 0.01 * g * g
        expected.append((p * (1 - decay) - 0.05 * m_new / (np.sqrt(v_new) + 1e-7), m_new, v_new))
    buffers = [(p, m, v) for p, m, v in zip(params, ms, vs)]
    assert adam(params, grads, ms, vs, 0.05, 0.9, 0.99, 1e-7, decay) is True
    for (p, m, v), (p_new, m_new, v_new), (pb, mb, vb) in zip(zip(params, ms, vs), expected, buffers):
        assert p is pb and m is mb and v is vb
        np.testing.assert_allclose(p, p_new, rtol=1e-13)
        np.testing.assert_allclose(m, m_new, rtol=1e-13)
        np.testing.assert_allclose(v, v_new, rtol=1e-13)


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_kernel_matches_the_formula_in_place(momentum, nesterov):
    params, grads = _arrays(0), _arrays(1)
    velocities = _arrays(2) if momentum else None
    expected = []
    for i, (p, g) in enumerate(zip(params, grads)):
        if not momentum:
            expected.append(p * 0.98 - 0.1 * g)
            continue
        v = momentum * velocities[i] - 0.1 * g
        expected.append(p * 0.98 + (momentum * v - 0.1 * g if nesterov else v))
    assert SGD(params, grads, velocities, 0.1, momentum, nesterov, 0.02) is True
    for p, want in zip(params, expected):
        np.testing.assert_allclose(p, want, rtol=1e-13)


def test_gradients_are_only_read(adam):
    shared = _arrays(1)[0]
    shared.setflags(write=False)
    broadcast = np.broadcast_to(np.float64(0.5), (4,))  # read-only, zero strides
    grads = [shared, broadcast]
    kept = [g.copy() for g in grads]
    assert adam(_arrays(0), grads, _arrays(2), [np.zeros(s) for s in ((3, 4), (4,))], 0.1, 0.9, 0.999, 1e-7)
    assert SGD(_arrays(0), grads, _arrays(2), 0.1, 0.9, True)
    assert SGD(_arrays(0), grads, None, 0.1, 0.0, False)
    for g, k in zip(grads, kept):
        np.testing.assert_array_equal(g, k)


def test_read_only_buffers_are_refused_untouched(adam):
    params, grads, ms, vs = _arrays(0), _arrays(1), _arrays(2), _arrays(3)
    params[1].setflags(write=False)
    before = [a.copy() for a in params + ms + vs]
    assert adam(params, grads, ms, vs, 0.1, 0.9, 0.999, 1e-7) is False
    assert SGD(params, grads, ms, 0.1, 0.9, False) is False
    for a, b in zip(params + ms + vs, before):
        np.testing.assert_array_equal(a, b)


def test_float32_stays_float32(adam):
    params, grads, ms, vs = (_arrays(i, np.float32) for i in range(4))
    vs = [np.abs(v) for v in vs]
    adam(params, grads, ms, vs, 0.1, 0.9, 0.999, 1e-7, 0.01)
    SGD(params, grads, ms, 0.1, 0.9, True, 0.01)
    assert all(a.dtype == np.float32 for a in params + ms + vs)


def test_compiled_adam_equals_the_ufunc_kernel_on_mixed_parameters():
    """float32 (compiled, rounding in float32), float16 and a transposed view (both left to the ufunc kernel): one
    call updates them all as the ufunc kernel does."""
    rng = np.random.default_rng(4)
    shapes_dtypes = [((30, 20), np.float32), ((20,), np.float16), ((6, 5), np.float32)]

    def state():
        arrays = [[rng.standard_normal(shape).astype(dtype) for shape, dtype in shapes_dtypes] for _ in range(4)]
        arrays[1][2] = np.ascontiguousarray(arrays[1][2].T).T  # a non-contiguous gradient
        arrays[3] = [np.abs(v) for v in arrays[3]]
        return arrays

    compiled = state()
    ufunc = [[a.copy() for a in group] for group in compiled]
    for _ in range(3):
        assert numba_kernels.adam(*compiled, 0.01, 0.9, 0.999, 1e-7, 0.004) is True
        assert ADAM_KERNELS["ufunc"](*ufunc, 0.01, 0.9, 0.999, 1e-7, 0.004) is True
    for group_c, group_u in zip(compiled, ufunc):
        for c, u in zip(group_c, group_u):
            assert c.dtype == u.dtype
            np.testing.assert_allclose(c.astype(np.float64), u.astype(np.float64), rtol=3e-7, atol=3e-7)


def test_the_numpy_backend_updates_with_the_compiled_adam_and_the_sgd_kernel():
    from nnkit.backends import get_backend

    backend = get_backend("numpy")
    assert backend.fused_update("adam") is numba_kernels.adam
    assert backend.fused_update("sgd") is not None and backend.fused_update("rmsprop") is None
