"""The NumPy backend's compiled LSTM step kernels (nnkit.backends.numba_kernels) one time step at a time, against
the ufunc steps they replace and a float64 reference: the float32 forward's own exp (saturated gates, the tanh
series near 0, NaN), the backward step, and the dtypes Numba does not compile. (Whole sequences and their
gradients: tests/ops/test_recurrent.py; through the LSTM layer: tests/layers/rnn/test_recurrent_math.py.)"""
import numpy as np
import pytest

from nnkit.backends import numba_kernels
from nnkit.ops.recurrent import UfuncGruSteps, UfuncLstmSteps, _gate_scale

BATCH, UNITS = 3, 40


def _rng():
    """A fresh generator per use: the same draws whatever order (or worker) runs the tests."""
    return np.random.default_rng(5)


def _step_inputs(spread, dtype):
    """(scaled input pre-activations, scaled recurrent product, c) as the forward loop hands them over."""
    scale = _gate_scale(np, UNITS, np.float64)
    rng = _rng()
    return ((rng.standard_normal((BATCH, 4 * UNITS)) * spread * scale).astype(dtype),
            (rng.standard_normal((BATCH, 4 * UNITS)) * spread * scale).astype(dtype),
            (rng.standard_normal((BATCH, UNITS)) * spread).astype(dtype))


def _forward(steps, gates, recurrent, c):
    """(gates, c_new, tanh(c_new), h) of one step."""
    gates = gates.copy()
    c_new, tanh_c, h = (np.empty_like(c) for _ in range(3))
    steps.forward(gates, recurrent, c, c_new, tanh_c, h)
    return gates, c_new, tanh_c, h


def _reference_forward(gates, recurrent, c):
    """The textbook step in float64 from the scaled pre-activations."""
    z = (gates.astype(np.float64) + recurrent) / _gate_scale(np, UNITS, np.float64)
    with np.errstate(over="ignore"):
        i, f, o = (1 / (1 + np.exp(-z[:, k * UNITS:(k + 1) * UNITS])) for k in (0, 1, 3))
    candidate = np.tanh(z[:, 2 * UNITS:3 * UNITS])
    c_new = f * c + i * candidate
    return np.concatenate([i, f, candidate, o], axis=1), c_new, np.tanh(c_new), o * np.tanh(c_new)


@pytest.mark.parametrize("spread", [0.02, 1.0, 4.0, 300.0], ids=["near-zero", "moderate", "wide", "saturated"])
def test_float32_forward_step_matches_float64_reference(spread):
    """The float32 kernel's polynomial exp and its tanh (series below |c| = 1/16, exp form above) stay within
    float32 rounding of the float64 step, from c near 0 to gates saturated far past exp's float32 range."""
    gates, recurrent, c = _step_inputs(spread, np.float32)
    compiled = _forward(numba_kernels.lstm_steps(np, BATCH, UNITS, np.float32), gates, recurrent, c)
    reference = _reference_forward(gates, recurrent.astype(np.float64), c.astype(np.float64))
    for name, value, expected in zip(["gates", "c", "tanh(c)", "h"], compiled, reference):
        assert value.dtype == np.float32
        np.testing.assert_allclose(value, expected, rtol=2e-6, atol=2e-7, err_msg=name)


def test_float32_tanh_is_relatively_accurate_near_zero_and_at_the_series_boundary():
    """tanh(c) keeps its relative precision for tiny c (the series) and on both sides of the switch at 1/16."""
    c_new = np.array([[1e-30, -3e-8, 1e-4, 0.0624, 0.0625, 0.0626, -0.0626, 0.5, -9.0, 0.0]], np.float32)
    units = c_new.shape[1]
    # forget gate 1, input gate 0: c_new = c; pre-activations far into saturation
    gates = np.zeros((1, 4 * units), np.float32)
    gates[:, :units], gates[:, units:2 * units], gates[:, 3 * units:] = 100.0, -100.0, -100.0
    steps = numba_kernels.lstm_steps(np, 1, units, np.float32)
    _, cell, tanh_c, h = _forward(steps, gates, np.zeros_like(gates), c_new)
    np.testing.assert_array_equal(cell, c_new)
    np.testing.assert_allclose(tanh_c, np.tanh(c_new.astype(np.float64)), rtol=3e-7, atol=0)
    np.testing.assert_allclose(h, tanh_c, rtol=1e-7)


def test_nan_propagates_through_the_float32_forward():
    gates, recurrent, c = _step_inputs(1.0, np.float32)
    gates[0, 0] = np.nan
    c[1, 1] = np.nan
    _, c_new, tanh_c, h = _forward(numba_kernels.lstm_steps(np, BATCH, UNITS, np.float32), gates, recurrent, c)
    assert np.isnan(h[0, 0]) and np.isnan(h[1, 1]) and np.isnan(tanh_c[1, 1])
    assert np.isfinite(np.delete(h.ravel(), [0, UNITS + 1])).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_steps_equal_the_ufunc_steps(dtype):
    """Forward and backward step of the compiled kernels against UfuncLstmSteps on the same arrays."""
    tolerance = dict(rtol=2e-6, atol=2e-7) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)
    gates, recurrent, c = _step_inputs(2.0, dtype)
    compiled_steps = numba_kernels.lstm_steps(np, BATCH, UNITS, dtype)
    ufunc_steps = UfuncLstmSteps(np, BATCH, UNITS, dtype)
    compiled, ufunc = _forward(compiled_steps, gates, recurrent, c), _forward(ufunc_steps, gates, recurrent, c)
    for value, expected in zip(compiled, ufunc):
        np.testing.assert_allclose(value, expected, **tolerance)
    step_gates, _, tanh_c, _ = ufunc
    rng = _rng()
    dh, dc = (rng.standard_normal((BATCH, UNITS)).astype(dtype) for _ in range(2))
    results = []
    for steps in (compiled_steps, ufunc_steps):
        dz, dc_previous = np.empty((BATCH, 4 * UNITS), dtype), dc.copy()
        steps.backward(step_gates, c, tanh_c, dh, dc_previous, dz)
        results.append((dz, dc_previous))
    for value, expected in zip(*results):
        np.testing.assert_allclose(value, expected, **tolerance)


@pytest.mark.parametrize("dtype", [np.float16, "bfloat16"])
def test_half_precision_takes_the_ufunc_steps(dtype):
    """Numba has no float16/bfloat16 arithmetic: those sequences run the ufunc steps (mixed precision policies)."""
    if dtype == "bfloat16":
        dtype = pytest.importorskip("ml_dtypes").bfloat16
    assert isinstance(numba_kernels.lstm_steps(np, BATCH, UNITS, dtype), UfuncLstmSteps)
    rng = _rng()
    x, kernel, bias = (rng.standard_normal(shape) * 0.5 for shape in ((2, BATCH, 3), (3, 4 * UNITS), (4 * UNITS,)))
    h, c = np.zeros((BATCH, UNITS)), np.zeros((BATCH, UNITS))
    recurrent_kernel = rng.standard_normal((UNITS, 4 * UNITS)) * 0.3
    arrays = [a.astype(dtype) for a in (x, kernel, bias, h, c, recurrent_kernel)]
    half = numba_kernels.lstm_sequence(*arrays)
    single = numba_kernels.lstm_sequence(*[a.astype(np.float32) for a in arrays])
    assert half.dtype == np.dtype(dtype)
    np.testing.assert_allclose(half.astype(np.float32), single, rtol=0.05, atol=0.02)


# --- GRU ------------------------------------------------------------------------------------------------------
def _gru_step_inputs(spread, dtype):
    """(projected inputs, h_previous @ recurrent kernel, recurrent bias, h_previous) of one step."""
    rng = _rng()
    return tuple((rng.standard_normal(shape) * spread).astype(dtype)
                 for shape in ((BATCH, 3 * UNITS), (BATCH, 3 * UNITS), (3 * UNITS,), (BATCH, UNITS)))


def _gru_forward(steps, projected, inner, recurrent_bias, h):
    """(saved [z, r, candidate, inner_h], h_new) of one step."""
    saved, h_new = np.empty((BATCH, 4 * UNITS), h.dtype), np.empty_like(h)
    steps.forward(projected, inner.copy(), recurrent_bias, h, saved, h_new)
    return saved, h_new


@pytest.mark.parametrize("spread", [0.02, 1.0, 300.0], ids=["near-zero", "moderate", "saturated"])
def test_gru_float32_forward_step_matches_float64(spread):
    """Within float32 rounding: of the outputs, and (saturated: terms and h of size ~300) of sums that cancel to a
    few units, whose float32 error (~3e-5) the gates pass on, and of h_new's few roundings at that size."""
    arrays = _gru_step_inputs(spread, np.float32)
    compiled = _gru_forward(numba_kernels.gru_steps(np, BATCH, UNITS, np.float32), *arrays)
    reference = _gru_forward(numba_kernels.gru_steps(np, BATCH, UNITS, np.float64),
                             *[a.astype(np.float64) for a in arrays])
    for value, expected in zip(compiled, reference):
        assert value.dtype == np.float32
        np.testing.assert_allclose(value, expected, **(dict(rtol=1e-5, atol=1e-5) if spread > 100 else
                                                        dict(rtol=2e-6, atol=2e-7)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_gru_steps_equal_the_ufunc_steps(dtype):
    tolerance = dict(rtol=2e-6, atol=2e-7) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)
    arrays = _gru_step_inputs(2.0, dtype)
    compiled_steps = numba_kernels.gru_steps(np, BATCH, UNITS, dtype)
    ufunc_steps = UfuncGruSteps(np, BATCH, UNITS, dtype)
    compiled, ufunc = _gru_forward(compiled_steps, *arrays), _gru_forward(ufunc_steps, *arrays)
    for value, expected in zip(compiled, ufunc):
        np.testing.assert_allclose(value, expected, **tolerance)
    saved, h_previous, dh = ufunc[0], arrays[3], _rng().standard_normal((BATCH, UNITS)).astype(dtype)
    results = []
    for steps in (compiled_steps, ufunc_steps):
        gradients = (dh.copy(), np.empty((BATCH, 3 * UNITS), dtype), np.empty((BATCH, 3 * UNITS), dtype))
        steps.backward(saved, h_previous, *gradients)
        results.append(gradients)
    for value, expected in zip(*results):
        np.testing.assert_allclose(value, expected, **tolerance)
    assert isinstance(numba_kernels.gru_steps(np, BATCH, UNITS, np.float16), UfuncGruSteps)
