"""Fused LSTM and GRU sequences for eager backends: one primitive per sequence whose forward loops over time on
bare arrays and whose VJP runs backpropagation through time in closed form, so the tape records one node per
sequence instead of a dozen per step. Written against `xp`, so CuPy reuses them; JAX compiles a scan instead.

Everything that does not depend on the recurrence is done for all time steps at once, outside the loops."""
import threading
import weakref

from nnkit.ops import tape
from nnkit.ops.primitive import primitive

# The forward's per-step values the VJP needs (gates, tanh(c)), kept beside the output until it is freed.
_saved = {}
_last = threading.local()  # this thread's backward pass in progress: gradients shared by one node's VJP rules


def _save(states, *residuals):
    """Keep what the VJP needs beside the output, while it lives, when a gradient may follow."""
    if tape.now() is not None:
        key = id(states)
        _saved[key] = (weakref.ref(states, lambda _: _saved.pop(key, None)), *residuals)


def _rules(backward):
    """One VJP rule per argument of a four-argument sequence primitive; the tape calls them one after the
    other with the same cotangent, so the first runs `backward` once and the others reuse its gradients."""
    def rule_for(index):
        def rule(xp, g, out, *args):
            pending = getattr(_last, "pass_", None)
            if pending is None or pending[0] is not g or pending[1] is not out:
                pending = _last.pass_ = (g, out, backward(xp, g, out, *args))
            if index == 3:
                _last.pass_ = None  # the last argument's rule comes last on the tape: release the buffers
            return pending[2][index]

        return rule

    return [rule_for(i) for i in range(4)]


def _sigmoid_(xp, x):
    """sigmoid(x) in place, as 0.5 * tanh(0.5 x) + 0.5 (nnkit's sigmoid)."""
    x *= 0.5
    xp.tanh(x, out=x)
    x *= 0.5
    x += 0.5


def _gate_affine(xp, units, dtype):
    """(scale, shift) per kernel column: sigmoid(z) = 0.5 tanh(0.5 z) + 0.5 for the i, f, o blocks and
    tanh(z) for the candidate block, so one tanh serves all four gates."""
    scale = xp.full((4 * units,), 0.5, dtype=dtype)
    scale[2 * units:3 * units] = 1.0
    shift = scale.copy()
    shift[2 * units:3 * units] = 0.0
    return scale, shift


@primitive
def lstm_sequence(xp, projected, h0, c0, recurrent_kernel):
    """h and c of an LSTM (tanh, sigmoid gates; Keras' order i, f, c, o) over time-major `projected` inputs
    (time, batch, 4 units) = x @ kernel + bias; returns (time, batch, 2 units): [h, c] per step."""
    steps, batch, width = projected.shape
    units = width // 4
    scale, shift = _gate_affine(xp, units, projected.dtype)
    scaled_inputs = projected * scale
    scaled_kernel = recurrent_kernel * scale
    states = xp.empty((steps, batch, 2 * units), dtype=projected.dtype)
    gates_all = xp.empty((steps, batch, width), dtype=projected.dtype)
    tanh_c_all = xp.empty((steps, batch, units), dtype=projected.dtype)
    h, c = h0, c0
    for t in range(steps):
        gates = gates_all[t]
        xp.matmul(h, scaled_kernel, out=gates)
        gates += scaled_inputs[t]
        xp.tanh(gates, out=gates)
        gates *= scale
        gates += shift
        i, f, candidate, o = (gates[:, k * units:(k + 1) * units] for k in range(4))
        h, c_new, tanh_c = states[t, :, :units], states[t, :, units:], tanh_c_all[t]
        xp.multiply(f, c, out=c_new)
        c_new += i * candidate
        xp.tanh(c_new, out=tanh_c)
        xp.multiply(o, tanh_c, out=h)
        c = c_new
    _save(states, gates_all, tanh_c_all)
    return states


def _lstm_backward(xp, g, states, projected, h0, c0, recurrent_kernel):
    """Gradients of (projected, h0, c0, recurrent_kernel) for the cotangent `g` of the [h, c] output."""
    _, gates, tanh_c = _saved[id(states)]
    steps, batch, width = projected.shape
    units = width // 4
    # Whole-sequence factors: d gate / d z (sigmoid' = s (1 - s), tanh' = 1 - t^2), o * tanh'(c), and the
    # multipliers of dc in the gate gradients: [candidate, c_previous, i] per step.
    slope = gates * (1 - gates)
    candidate = gates[..., 2 * units:3 * units]
    slope[..., 2 * units:3 * units] = 1 - candidate * candidate
    output_slope = gates[..., 3 * units:] * (1 - tanh_c * tanh_c)
    by_dc = xp.empty((steps, batch, 3, units), dtype=projected.dtype)
    by_dc[:, :, 0] = candidate
    by_dc[0, :, 1] = c0
    by_dc[1:, :, 1] = states[:-1, :, units:]
    by_dc[:, :, 2] = gates[..., :units]
    forget = gates[..., units:2 * units]
    kernel_t = xp.ascontiguousarray(recurrent_kernel.T)
    dz = xp.empty_like(projected)
    dh = g[-1, :, :units].copy()
    dc = g[-1, :, units:].copy()
    for t in range(steps - 1, -1, -1):
        if t < steps - 1:
            dh += g[t, :, :units]
            dc += g[t, :, units:]
        dc += dh * output_slope[t]
        dz_t = dz[t]
        xp.multiply(by_dc[t], dc[:, None, :], out=dz_t[:, :3 * units].reshape(batch, 3, units))
        xp.multiply(dh, tanh_c[t], out=dz_t[:, 3 * units:])
        dz_t *= slope[t]
        dc *= forget[t]
        dh = xp.matmul(dz_t, kernel_t)
    h_previous = xp.concatenate([h0[None], states[:-1, :, :units]], axis=0).reshape(steps * batch, units)
    d_kernel = h_previous.T @ dz.reshape(steps * batch, width)
    return dz, dh, dc, d_kernel


lstm_sequence.defvjp(*_rules(_lstm_backward))


@primitive
def gru_sequence(xp, projected, h0, recurrent_kernel, recurrent_bias):
    """h of a GRU (tanh, sigmoid gates, reset gate after the recurrent matmul; Keras' order z, r, h) over
    time-major `projected` inputs (time, batch, 3 units) = x @ kernel + input bias; returns (time, batch, units)."""
    steps, batch, width = projected.shape
    units = width // 3
    states = xp.empty((steps, batch, units), dtype=projected.dtype)
    saved = xp.empty((steps, batch, 4 * units), dtype=projected.dtype)  # per step [z, r, candidate, inner_h]
    inner = xp.empty((batch, width), dtype=projected.dtype)
    h = h0
    for t in range(steps):
        step = saved[t]
        xp.matmul(h, recurrent_kernel, out=inner)
        inner += recurrent_bias
        gates = step[:, :2 * units]
        xp.add(projected[t, :, :2 * units], inner[:, :2 * units], out=gates)
        _sigmoid_(xp, gates)
        candidate, inner_h = step[:, 2 * units:3 * units], step[:, 3 * units:]
        inner_h[...] = inner[:, 2 * units:]
        xp.multiply(gates[:, units:], inner_h, out=candidate)
        candidate += projected[t, :, 2 * units:]
        xp.tanh(candidate, out=candidate)
        h_new = states[t]
        xp.subtract(h, candidate, out=h_new)
        h_new *= gates[:, :units]
        h_new += candidate
        h = h_new
    _save(states, saved)
    return states


def _gru_backward(xp, g, states, projected, h0, recurrent_kernel, recurrent_bias):
    """Gradients of (projected, h0, recurrent_kernel, recurrent_bias) for the cotangent `g` of the h output."""
    _, saved = _saved[id(states)]
    steps, batch, width = projected.shape
    units = width // 3
    z, r, candidate, inner_h = (saved[..., k * units:(k + 1) * units] for k in range(4))
    h_previous = xp.concatenate([h0[None], states[:-1]], axis=0)
    # Whole-sequence factors: of dh in d(z pre-activation) and d(candidate pre-activation), and of the latter
    # in d(r pre-activation).
    by_dh_z = (h_previous - candidate) * z * (1 - z)
    by_dh_candidate = (1 - z) * (1 - candidate * candidate)
    by_candidate_r = inner_h * r * (1 - r)
    kernel_t = xp.ascontiguousarray(recurrent_kernel.T)
    d_inner = xp.empty_like(projected)
    d_candidate = xp.empty_like(states)
    dh = g[-1].copy()
    for t in range(steps - 1, -1, -1):
        if t < steps - 1:
            dh += g[t]
        d_inner_t, d_candidate_t = d_inner[t], d_candidate[t]
        xp.multiply(dh, by_dh_z[t], out=d_inner_t[:, :units])
        xp.multiply(dh, by_dh_candidate[t], out=d_candidate_t)
        xp.multiply(d_candidate_t, by_candidate_r[t], out=d_inner_t[:, units:2 * units])
        xp.multiply(d_candidate_t, r[t], out=d_inner_t[:, 2 * units:])
        dh *= z[t]
        dh += d_inner_t @ kernel_t
    d_projected = d_inner.copy()
    d_projected[..., 2 * units:] = d_candidate
    flat_inner = d_inner.reshape(steps * batch, width)
    d_kernel = h_previous.reshape(steps * batch, units).T @ flat_inner
    return d_projected, dh, d_kernel, flat_inner.sum(axis=0)


gru_sequence.defvjp(*_rules(_gru_backward))
