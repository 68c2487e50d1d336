"""Kernels the NumPy backend compiles with Numba where a chain of ufunc calls costs more in calls and passes over
memory than in arithmetic: one compiled call per LSTM or GRU time step does the whole element-wise part, forward
and backward, and Adam updates each parameter in one pass instead of eleven. Compiled on first use, cached on disk.

float32's forward takes exp from a vectorizable Cephes-style polynomial (relative error < 1e-7, below NumPy's own
float32 exp; tanh built on it < 4e-7) because LLVM cannot vectorize calls to the C library's expf and NumPy's is
twice as slow here; float64 uses the C library (the reference for the gradient checks)."""
import math

import numba
import numpy as np

from nnkit.backends.fused_numpy import make_adam, writable
from nnkit.ops.recurrent import UfuncGruSteps, UfuncLstmSteps, make_gru_sequence, make_lstm_sequence

_COMPILED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))  # Numba has no float16/bfloat16 arithmetic
_ONE, _TWO = np.float32(1), np.float32(2)
_LOG2E = np.float32(1.4426950408889634)
_LN2_HIGH, _LN2_LOW = np.float32(0.693359375), np.float32(-2.12194440e-4)  # ln 2 in two parts: exact n * high
_ROUND = np.float32(12582912.0)  # 1.5 * 2**23: adding then subtracting it rounds a float32 to an integer
_EXP_MIN, _EXP_MAX = np.float32(-87.0), np.float32(88.0)  # exp stays a normal float32 in between
_E5, _E4, _E3, _E2, _E1, _E0 = (np.float32(c) for c in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
                                                         4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1))
_SMALL_TANH = np.float32(0.0625)  # below, tanh from its series: (1 - e) / (1 + e) would cancel digits
_T3, _T5, _T7 = np.float32(1 / 3), np.float32(2 / 15), np.float32(17 / 315)


@numba.njit(inline="always")
def _exp_parts(v):
    """exp(v) of a float32 as (mantissa, bits of 2**n): exp(v) = mantissa * 2**n, v clamped to [-87, 88]."""
    v = _EXP_MIN if v < _EXP_MIN else (_EXP_MAX if v > _EXP_MAX else v)
    n = (v * _LOG2E + _ROUND) - _ROUND
    r = v - n * _LN2_HIGH - n * _LN2_LOW
    p = ((((_E5 * r + _E4) * r + _E3) * r + _E2) * r + _E1) * r + _E0
    return p * r * r + r + _ONE, (np.int32(n) + np.int32(127)) << np.int32(23)


@numba.njit(inline="always")
def _tanh_from(x, e):
    """tanh(x) given e = exp(-2 |x|): its series below |x| = 1/16, sign(x) (1 - e) / (1 + e) above."""
    square = x * x
    small = x * (_ONE - square * (_T3 - square * (_T5 - square * _T7)))
    return small if abs(x) < _SMALL_TANH else math.copysign((_ONE - e) / (_ONE + e), x)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _lstm_step_forward_float32(gates, recurrent, c, c_new, tanh_c, h, powers_bits, tanh_bits):
    """UfuncLstmSteps.forward in five vectorizable passes (LLVM vectorizes fewer, fatter loops less well), exp
    as a mantissa times a power of two whose bits go through `powers_bits` / `tanh_bits` (int32 scratch, read
    back as float32)."""
    batch, width = gates.shape
    units = width // 4
    flat_gates, flat_recurrent = gates.reshape(gates.size), recurrent.reshape(recurrent.size)
    flat_bits = powers_bits.reshape(powers_bits.size)
    for k in range(flat_gates.size):
        flat_gates[k], flat_bits[k] = _exp_parts(flat_gates[k] + flat_recurrent[k])
    powers = flat_bits.view(np.float32)
    for k in range(flat_gates.size):
        flat_gates[k] = _ONE / (_ONE + flat_gates[k] * powers[k])
    for b in range(batch):
        for u in range(units):
            candidate = _TWO * gates[b, 2 * units + u] - _ONE
            gates[b, 2 * units + u] = candidate
            c_new[b, u] = gates[b, units + u] * c[b, u] + gates[b, u] * candidate
    flat_c, flat_tanh_c = c_new.reshape(c_new.size), tanh_c.reshape(tanh_c.size)
    flat_tanh_bits = tanh_bits.reshape(tanh_bits.size)
    for k in range(flat_c.size):
        flat_tanh_c[k], flat_tanh_bits[k] = _exp_parts(-_TWO * abs(flat_c[k]))
    tanh_powers = tanh_bits.view(np.float32)
    for b in range(batch):
        for u in range(units):
            tanh = _tanh_from(c_new[b, u], tanh_c[b, u] * tanh_powers[b, u])
            tanh_c[b, u] = tanh
            h[b, u] = gates[b, 3 * units + u] * tanh


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _lstm_step_forward_float64(gates, recurrent, c, c_new, tanh_c, h):
    """UfuncLstmSteps.forward element by element (exp of the scaled pre-activations may overflow to inf: the
    gate's limit 0)."""
    batch, width = gates.shape
    units = width // 4
    for b in range(batch):
        for k in range(width):
            gates[b, k] = 1.0 / (1.0 + math.exp(gates[b, k] + recurrent[b, k]))
        for u in range(units):
            candidate = 2.0 * gates[b, 2 * units + u] - 1.0
            gates[b, 2 * units + u] = candidate
            cell = gates[b, units + u] * c[b, u] + gates[b, u] * candidate
            c_new[b, u] = cell
            tanh_c[b, u] = math.tanh(cell)
            h[b, u] = gates[b, 3 * units + u] * tanh_c[b, u]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _lstm_step_backward(gates, c_previous, tanh_c, dh, dc, dz):
    """UfuncLstmSteps.backward element by element, in one pass."""
    one = gates.dtype.type(1)
    batch, width = gates.shape
    units = width // 4
    for b in range(batch):
        for u in range(units):
            i, f = gates[b, u], gates[b, units + u]
            candidate, o = gates[b, 2 * units + u], gates[b, 3 * units + u]
            t = tanh_c[b, u]
            dh_bu = dh[b, u]
            dc_bu = dc[b, u] + dh_bu * o * (one - t * t)
            dz[b, u] = dc_bu * candidate * i * (one - i)
            dz[b, units + u] = dc_bu * c_previous[b, u] * f * (one - f)
            dz[b, 2 * units + u] = dc_bu * i * (one - candidate * candidate)
            dz[b, 3 * units + u] = dh_bu * t * o * (one - o)
            dc[b, u] = dc_bu * f


class _Float32LstmSteps:
    """The compiled float32 steps, with the interface of UfuncLstmSteps and their scratch for powers of two."""

    backward = staticmethod(_lstm_step_backward)

    def __init__(self, batch, units):
        self.powers_bits = np.empty((batch, 4 * units), dtype=np.int32)
        self.tanh_bits = np.empty((batch, units), dtype=np.int32)

    def forward(self, gates, recurrent, c, c_new, tanh_c, h):
        _lstm_step_forward_float32(gates, recurrent, c, c_new, tanh_c, h, self.powers_bits, self.tanh_bits)


class _Float64LstmSteps:
    """The compiled float64 steps, with the interface of UfuncLstmSteps."""

    forward = staticmethod(_lstm_step_forward_float64)
    backward = staticmethod(_lstm_step_backward)


def _by_dtype(float32_steps, float64_steps, ufunc_steps):
    """The step-kernel factory `(xp, batch, units, dtype) -> steps` of a fused sequence: the compiled float32 steps
    (with their scratch) or float64 ones, the ufunc steps for other dtypes (float16, bfloat16: Numba has no
    arithmetic for them)."""
    def steps(xp, batch, units, dtype):
        dtype = np.dtype(dtype)
        if dtype == np.float32:
            return float32_steps(batch, units)
        if dtype == np.float64:
            return float64_steps
        return ufunc_steps(xp, batch, units, dtype)

    return steps


lstm_steps = _by_dtype(_Float32LstmSteps, _Float64LstmSteps, UfuncLstmSteps)
lstm_sequence = make_lstm_sequence(lstm_steps)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _gru_step_forward_float32(projected, inner, recurrent_bias, h, saved, h_new, gate_bits, tanh_mantissas,
                              tanh_bits):
    """UfuncGruSteps.forward in four vectorizable passes, exp as in _lstm_step_forward_float32."""
    batch, width = projected.shape
    units = width // 3
    for b in range(batch):
        for k in range(2 * units):
            saved[b, k], gate_bits[b, k] = _exp_parts(-(projected[b, k] + inner[b, k] + recurrent_bias[k]))
    powers = gate_bits.view(np.float32)
    for b in range(batch):
        for k in range(2 * units):
            saved[b, k] = _ONE / (_ONE + saved[b, k] * powers[b, k])
    for b in range(batch):
        for u in range(units):
            inner_h = inner[b, 2 * units + u] + recurrent_bias[2 * units + u]
            saved[b, 3 * units + u] = inner_h
            pre_activation = projected[b, 2 * units + u] + saved[b, units + u] * inner_h
            saved[b, 2 * units + u] = pre_activation
            tanh_mantissas[b, u], tanh_bits[b, u] = _exp_parts(-_TWO * abs(pre_activation))
    tanh_powers = tanh_bits.view(np.float32)
    for b in range(batch):
        for u in range(units):
            candidate = _tanh_from(saved[b, 2 * units + u], tanh_mantissas[b, u] * tanh_powers[b, u])
            saved[b, 2 * units + u] = candidate
            h_new[b, u] = candidate + saved[b, u] * (h[b, u] - candidate)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _gru_step_forward_float64(projected, inner, recurrent_bias, h, saved, h_new):
    """UfuncGruSteps.forward element by element."""
    batch, width = projected.shape
    units = width // 3
    for b in range(batch):
        for k in range(2 * units):
            saved[b, k] = 1.0 / (1.0 + math.exp(-(projected[b, k] + inner[b, k] + recurrent_bias[k])))
        for u in range(units):
            inner_h = inner[b, 2 * units + u] + recurrent_bias[2 * units + u]
            saved[b, 3 * units + u] = inner_h
            candidate = math.tanh(projected[b, 2 * units + u] + saved[b, units + u] * inner_h)
            saved[b, 2 * units + u] = candidate
            h_new[b, u] = candidate + saved[b, u] * (h[b, u] - candidate)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _gru_step_backward(saved, h_previous, dh, d_projected, d_inner):
    """UfuncGruSteps.backward element by element, in one pass."""
    one = saved.dtype.type(1)
    batch, width = saved.shape
    units = width // 4
    for b in range(batch):
        for u in range(units):
            z, r = saved[b, u], saved[b, units + u]
            candidate, inner_h = saved[b, 2 * units + u], saved[b, 3 * units + u]
            dh_bu = dh[b, u]
            d_z = dh_bu * (h_previous[b, u] - candidate) * z * (one - z)
            d_candidate = dh_bu * (one - z) * (one - candidate * candidate)
            d_r = d_candidate * inner_h * r * (one - r)
            d_projected[b, u], d_projected[b, units + u], d_projected[b, 2 * units + u] = d_z, d_r, d_candidate
            d_inner[b, u], d_inner[b, units + u], d_inner[b, 2 * units + u] = d_z, d_r, d_candidate * r
            dh[b, u] = dh_bu * z


class _Float32GruSteps:
    """The compiled float32 GRU steps, with the interface of UfuncGruSteps and their scratch for exp."""

    backward = staticmethod(_gru_step_backward)

    def __init__(self, batch, units):
        self.gate_bits = np.empty((batch, 2 * units), dtype=np.int32)
        self.tanh_mantissas = np.empty((batch, units), dtype=np.float32)
        self.tanh_bits = np.empty((batch, units), dtype=np.int32)

    def forward(self, projected, inner, recurrent_bias, h, saved, h_new):
        _gru_step_forward_float32(projected, inner, recurrent_bias, h, saved, h_new, self.gate_bits,
                                  self.tanh_mantissas, self.tanh_bits)


class _Float64GruSteps:
    """The compiled float64 GRU steps, with the interface of UfuncGruSteps."""

    forward = staticmethod(_gru_step_forward_float64)
    backward = staticmethod(_gru_step_backward)


gru_steps = _by_dtype(_Float32GruSteps, _Float64GruSteps, UfuncGruSteps)
gru_sequence = make_gru_sequence(gru_steps)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _adam_update(param, grad, m, v, lr_t, beta_1, beta_2, one_minus_b1, one_minus_b2, epsilon, keep):
    """fused_numpy's Adam for one C-contiguous parameter, element by element, in its dtype with the same float64
    scalars rounded to it (1 - beta computed before rounding, as the ufunc kernel does)."""
    kind = param.dtype.type
    lr_t, beta_1, beta_2, epsilon, keep = kind(lr_t), kind(beta_1), kind(beta_2), kind(epsilon), kind(keep)
    one_minus_b1, one_minus_b2 = kind(one_minus_b1), kind(one_minus_b2)
    flat_param, flat_grad = param.reshape(param.size), grad.reshape(grad.size)
    flat_m, flat_v = m.reshape(m.size), v.reshape(v.size)
    for k in range(flat_param.size):
        g = flat_grad[k]
        moment = flat_m[k] * beta_1 + g * one_minus_b1
        velocity = flat_v[k] * beta_2 + g * g * one_minus_b2
        flat_m[k], flat_v[k] = moment, velocity
        flat_param[k] = flat_param[k] * keep - lr_t * (moment / (math.sqrt(velocity) + epsilon))


_ufunc_adam = make_adam(np)


def adam(params, grads, ms, vs, lr_t, beta_1, beta_2, epsilon, decay=0.0, scratch=None):
    """fused_numpy's Adam kernel, with every float32/float64 C-contiguous parameter (all of them, usually)
    updated by one compiled pass; the others take the ufunc kernel."""
    if not writable(params, ms, vs):
        return False
    others = []
    for arrays in zip(params, grads, ms, vs):
        dtype = arrays[0].dtype
        if dtype in _COMPILED_DTYPES and all(a.dtype == dtype and a.flags.c_contiguous for a in arrays):
            _adam_update(*arrays, lr_t, beta_1, beta_2, 1.0 - beta_1, 1.0 - beta_2, epsilon, 1.0 - decay)
        else:
            others.append(arrays)
    if others:
        _ufunc_adam(*map(list, zip(*others)), lr_t, beta_1, beta_2, epsilon, decay, scratch=scratch)
    return True
