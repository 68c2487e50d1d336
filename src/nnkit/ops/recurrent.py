"""Fused LSTM and GRU sequences for eager backends: one primitive per sequence whose forward loops over time on
bare arrays and whose VJP runs backpropagation through time in closed form, so the tape records one node per
sequence instead of a dozen per step. Written against `xp`, so CuPy reuses them; JAX compiles a scan instead.

Everything that does not depend on the recurrence is done for all time steps at once, outside the loops."""
import contextlib
import threading
import weakref

from nnkit.ops import tape
from nnkit.ops.primitive import primitive

# The forward's per-step values the VJP needs (gates, tanh(c), h), kept beside the output until it is freed.
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


def _gate_scale(xp, units, dtype):
    """-1 per i, f, o kernel column and -2 per candidate column: one exp of the scaled pre-activations then
    gives all four gates, sigmoid(z) = 1 / (1 + exp(-z)) and tanh(z) = 2 / (1 + exp(-2 z)) - 1 (NumPy's
    float32 exp is about twice as fast as its tanh)."""
    scale = xp.full((4 * units,), -1.0, dtype=dtype)
    scale[2 * units:3 * units] = -2.0
    return scale


def _overflow_to_inf(xp):
    """Silence NumPy's overflow warning where exp(-z) overflows to inf on purpose: 1 / (1 + inf) = 0 is the
    gate's limit. Namespaces without errstate (CuPy) do not warn."""
    errstate = getattr(xp, "errstate", None)
    return errstate(over="ignore") if errstate is not None else contextlib.nullcontext()


@primitive
def lstm_sequence(xp, projected, h0, c0, recurrent_kernel):
    """h and c of an LSTM (tanh, sigmoid gates; Keras' order i, f, c, o) over time-major `projected` inputs
    (time, batch, 4 units) = x @ kernel + bias; returns (time, batch, 2 units): [h, c] per step."""
    steps, batch, width = projected.shape
    units = width // 4
    dtype = projected.dtype
    scale = _gate_scale(xp, units, dtype)
    scaled_kernel = recurrent_kernel * scale
    gates_all = xp.multiply(projected, scale)  # the scaled inputs, turned into each step's gates in place
    states = xp.empty((steps, batch, 2 * units), dtype=dtype)
    h_all = xp.empty((steps, batch, units), dtype=dtype)  # h again, contiguous: BLAS reads it faster
    tanh_c_all = xp.empty((steps, batch, units), dtype=dtype)
    recurrent = xp.empty((batch, width), dtype=dtype)
    product = xp.empty((batch, units), dtype=dtype)
    h, c = h0, c0
    with _overflow_to_inf(xp):
        for t in range(steps):
            gates = gates_all[t]
            xp.matmul(h, scaled_kernel, out=recurrent)
            gates += recurrent
            xp.exp(gates, out=gates)
            gates += 1
            xp.divide(1, gates, out=gates)
            i, f, candidate, o = (gates[:, k * units:(k + 1) * units] for k in range(4))
            candidate *= 2
            candidate -= 1
            h, c_new, tanh_c = h_all[t], states[t, :, units:], tanh_c_all[t]
            xp.multiply(f, c, out=c_new)
            xp.multiply(i, candidate, out=product)
            c_new += product
            xp.tanh(c_new, out=tanh_c)
            xp.multiply(o, tanh_c, out=h)
            c = c_new
    states[:, :, :units] = h_all
    _save(states, gates_all, tanh_c_all, h_all)
    return states


def _lstm_backward(xp, g, states, projected, h0, c0, recurrent_kernel):
    """Gradients of (projected, h0, c0, recurrent_kernel) for the cotangent `g` of the [h, c] output.
    Each step's factors are computed inside the loop on (batch, 4 units) buffers that stay in cache."""
    _, gates, tanh_c, h_all = _saved[id(states)]
    steps, batch, width = projected.shape
    units = width // 4
    dtype = projected.dtype
    kernel_t = xp.ascontiguousarray(recurrent_kernel.T)
    dz = xp.empty_like(projected)
    slope = xp.empty((batch, width), dtype=dtype)  # d gate / d its pre-activation: s (1 - s), 1 - tanh^2
    through_h = xp.empty((batch, units), dtype=dtype)  # dh * d h / d c = dh * o * (1 - tanh(c)^2)
    dh = g[-1, :, :units].copy()
    dc = g[-1, :, units:].copy()
    for t in range(steps - 1, -1, -1):
        if t < steps - 1:
            dh += g[t, :, :units]
            dc += g[t, :, units:]
        step_gates, step_tanh_c, dz_t = gates[t], tanh_c[t], dz[t]
        i, f, candidate, o = (step_gates[:, k * units:(k + 1) * units] for k in range(4))
        xp.multiply(step_tanh_c, step_tanh_c, out=through_h)
        xp.subtract(1, through_h, out=through_h)
        through_h *= o
        through_h *= dh
        dc += through_h
        xp.multiply(dc, candidate, out=dz_t[:, :units])
        xp.multiply(dc, c0 if t == 0 else states[t - 1, :, units:], out=dz_t[:, units:2 * units])
        xp.multiply(dc, i, out=dz_t[:, 2 * units:3 * units])
        xp.multiply(dh, step_tanh_c, out=dz_t[:, 3 * units:])
        xp.subtract(1, step_gates, out=slope)
        slope *= step_gates
        candidate_slope = slope[:, 2 * units:3 * units]
        xp.multiply(candidate, candidate, out=candidate_slope)
        xp.subtract(1, candidate_slope, out=candidate_slope)
        dz_t *= slope
        dc *= f
        xp.matmul(dz_t, kernel_t, out=dh)
    # d kernel = sum over steps of h_previous^T dz: one product over the steps after the first, plus the first's.
    d_kernel = h0.T @ dz[0]
    d_kernel += h_all[:-1].reshape((steps - 1) * batch, units).T @ dz[1:].reshape((steps - 1) * batch, width)
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
