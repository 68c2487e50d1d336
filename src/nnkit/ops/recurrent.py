"""Fused LSTM and GRU sequences for eager backends: one primitive per sequence whose forward loops over time on
bare arrays and whose VJP runs backpropagation through time in closed form, so the tape records one node per
sequence instead of a dozen per step. Written against `xp`, so CuPy reuses them; JAX compiles a scan instead.

Everything that does not depend on the recurrence is done for all time steps at once, outside the loops. The
large per-sequence buffers come from a per-thread pool and go back to it when the sequence's output is freed,
so each training step reuses the previous step's memory."""
import contextlib
import functools
import threading
import weakref

from nnkit.ops import tape
from nnkit.ops.buffer_pool import BufferPool
from nnkit.ops.primitive import Primitive, primitive

_saved = {}  # id(output) -> _Residuals of a sequence whose gradient may follow
_pools = threading.local()


def _pool():
    """This thread's buffer pool."""
    pool = getattr(_pools, "pool", None)
    if pool is None:
        pool = _pools.pool = BufferPool()
    return pool


class _Residuals:
    """What one sequence's VJP needs (`arrays` by name), kept while its output lives; `pooled` are the arrays
    that go back to the pool with the output, and `shared` caches the backward pass the argument rules share."""

    def __init__(self, pool, xp, pooled, arrays, output_ref):
        self.pool, self.xp, self.pooled, self.arrays = pool, xp, list(pooled), arrays
        self.output_ref = output_ref  # its callback releases this record when the output is freed
        self.shared = None

    def release(self):
        self.pool.give(self.xp, self.pooled)


def _keep(xp, pool, output, pooled, **arrays):
    """Keep what the VJP needs beside `output` while it lives, when a gradient may follow; otherwise hand the
    pooled buffers straight back."""
    if tape.now() is None:
        pool.give(xp, pooled)
        return
    key = id(output)

    def forget(_):
        residuals = _saved.pop(key, None)
        if residuals is not None:
            residuals.release()

    _saved[key] = _Residuals(pool, xp, pooled, arrays, weakref.ref(output, forget))


def _rules(backward, gradients):
    """One VJP rule per argument: the first one the tape calls runs `backward` (the loop through time, shared by
    every argument) and keeps its result beside the output; each rule then finishes its own argument's gradient
    with `gradients[i](xp, shared, residuals, *args)`, so arguments without a gradient cost nothing."""
    def rule_for(finish):
        def rule(xp, g, out, *args):
            residuals = _saved[id(out)]
            if residuals.shared is None or residuals.shared[0] is not g:
                residuals.shared = (g, backward(xp, g, out, residuals, *args))
            return finish(xp, residuals.shared[1], residuals, *args)

        return rule

    return [rule_for(finish) for finish in gradients]


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


def _lstm_forward(kernels, xp, inputs, kernel, bias, h0, c0, recurrent_kernel):
    """An LSTM (tanh, sigmoid gates; Keras' order i, f, c, o) over time-major `inputs` (time, batch, features),
    `bias` None or (4 units,); returns (time + 1, batch, units): h of every step, then the last c. `kernels`
    makes the per-step element-wise kernels."""
    steps, batch, features = inputs.shape
    units = recurrent_kernel.shape[0]
    width = 4 * units
    dtype = xp.result_type(inputs, kernel, recurrent_kernel)
    pool = _pool()
    scale = _gate_scale(xp, units, dtype)
    flat_inputs = inputs.reshape(steps * batch, features)
    # The scaled pre-activations of all steps from one product; each step's become its gates in place.
    gates_all = pool.take(xp, (steps, batch, width), dtype)
    xp.matmul(flat_inputs, kernel * scale, out=gates_all.reshape(steps * batch, width))
    if bias is not None:
        gates_all += bias * scale
    scaled_kernel = recurrent_kernel * scale
    out = xp.empty((steps + 1, batch, units), dtype=dtype)
    c_all, tanh_c_all = pool.take(xp, (steps, batch, units), dtype), pool.take(xp, (steps, batch, units), dtype)
    recurrent = xp.empty((batch, width), dtype=dtype)
    step = kernels(xp, batch, units, dtype)
    h, c = h0, c0
    for t in range(steps):
        xp.matmul(h, scaled_kernel, out=recurrent)
        c_new, h = c_all[t], out[t]
        step.forward(gates_all[t], recurrent, c, c_new, tanh_c_all[t], h)
        c = c_new
    out[steps] = c
    _keep(xp, pool, out, (gates_all, c_all, tanh_c_all), flat_inputs=flat_inputs, gates=gates_all, c=c_all,
          tanh_c=tanh_c_all)
    return out


class UfuncLstmSteps:
    """The element-wise parts of an LSTM time step as a few array-namespace ufuncs each (any xp), on
    (batch, 4 units) buffers that stay in cache."""

    def __init__(self, xp, batch, units, dtype):
        self.xp, self.units = xp, units
        self.slope = xp.empty((batch, 4 * units), dtype=dtype)  # d gate / d pre-activation: s (1 - s), 1 - tanh^2
        self.through_h = xp.empty((batch, units), dtype=dtype)  # dh * d h / d c = dh * o * (1 - tanh(c)^2)

    def forward(self, gates, recurrent, c, c_new, tanh_c, h):
        """`gates` holds the step's scaled input pre-activations (see _gate_scale) and `recurrent` the scaled
        h_previous @ recurrent kernel: turn `gates` into the gates i, f, candidate, o in place and write
        c_new = f c + i candidate, tanh(c_new) and h = o tanh(c_new)."""
        xp, units = self.xp, self.units
        gates += recurrent
        with _overflow_to_inf(xp):
            xp.exp(gates, out=gates)
        gates += 1
        xp.divide(1, gates, out=gates)
        i, f, candidate, o = (gates[:, k * units:(k + 1) * units] for k in range(4))
        candidate *= 2
        candidate -= 1
        xp.multiply(f, c, out=c_new)
        xp.multiply(i, candidate, out=self.through_h)
        c_new += self.through_h
        xp.tanh(c_new, out=tanh_c)
        xp.multiply(o, tanh_c, out=h)

    def backward(self, gates, c_previous, tanh_c, dh, dc, dz):
        """Write the step's pre-activation gradient dz and turn dc (with dh, the step's total h gradient) into the
        previous step's c gradient."""
        xp, units, slope, through_h = self.xp, self.units, self.slope, self.through_h
        i, f, candidate, o = (gates[:, k * units:(k + 1) * units] for k in range(4))
        xp.multiply(tanh_c, tanh_c, out=through_h)
        xp.subtract(1, through_h, out=through_h)
        through_h *= o
        through_h *= dh
        dc += through_h
        xp.multiply(dc, candidate, out=dz[:, :units])
        xp.multiply(dc, c_previous, out=dz[:, units:2 * units])
        xp.multiply(dc, i, out=dz[:, 2 * units:3 * units])
        xp.multiply(dh, tanh_c, out=dz[:, 3 * units:])
        xp.subtract(1, gates, out=slope)
        slope *= gates
        candidate_slope = slope[:, 2 * units:3 * units]
        xp.multiply(candidate, candidate, out=candidate_slope)
        xp.subtract(1, candidate_slope, out=candidate_slope)
        dz *= slope
        dc *= f


def _lstm_through_time(kernels, xp, g, out, residuals, inputs, kernel, bias, h0, c0, recurrent_kernel):
    """(dz, dh0, dc0, d recurrent kernel) for the cotangent `g` of the output, dz the gradient of every step's
    pre-activations (time, batch, 4 units)."""
    saved = residuals.arrays
    gates, c_all, tanh_c_all = saved["gates"], saved["c"], saved["tanh_c"]
    steps, batch, width = gates.shape
    units = width // 4
    dtype = gates.dtype
    kernel_t = xp.ascontiguousarray(recurrent_kernel.T)
    dz = residuals.pool.take(xp, gates.shape, dtype)
    residuals.pooled.append(dz)
    step = kernels(xp, batch, units, dtype)
    dh = g[steps - 1].astype(dtype, copy=True)
    dc = g[steps].astype(dtype, copy=True)
    for t in range(steps - 1, -1, -1):
        if t < steps - 1:
            dh += g[t]
        step.backward(gates[t], c0 if t == 0 else c_all[t - 1], tanh_c_all[t], dh, dc, dz[t])
        xp.matmul(dz[t], kernel_t, out=dh)
    # d recurrent kernel = sum over steps of h_previous^T dz: one product over the steps after the first.
    d_kernel = h0.T @ dz[0]
    if steps > 1:
        d_kernel += _flat(out[:steps - 1]).T @ _flat(dz[1:])
    return dz, dh, dc, d_kernel


def _flat(array):
    """(time, batch, n) as (time * batch, n)."""
    return array.reshape(-1, array.shape[-1])


def _lstm_inputs_gradient(xp, shared, residuals, inputs, kernel, *_):
    return (_flat(shared[0]) @ kernel.T).reshape(inputs.shape)


def _lstm_kernel_gradient(xp, shared, residuals, *_):
    return residuals.arrays["flat_inputs"].T @ _flat(shared[0])


def _bias_gradient(xp, shared, *_):
    return _flat(shared[0]).sum(axis=0)


def _shared_part(index):
    """The rule finishing an argument whose gradient the shared pass computed whole, at `index`."""
    return lambda xp, shared, *_: shared[index]


def make_lstm_sequence(kernels=UfuncLstmSteps):
    """The fused LSTM sequence primitive whose time loops run the per-step element-wise kernels that
    `kernels(xp, batch, units, dtype)` makes (a backend may bring compiled ones)."""
    def lstm_sequence(xp, inputs, kernel, bias, h0, c0, recurrent_kernel):
        return _lstm_forward(kernels, xp, inputs, kernel, bias, h0, c0, recurrent_kernel)

    sequence = Primitive(lstm_sequence)
    through_time = functools.partial(_lstm_through_time, kernels)
    return sequence.defvjp(*_rules(through_time, [_lstm_inputs_gradient, _lstm_kernel_gradient, _bias_gradient,
                                                  _shared_part(1), _shared_part(2), _shared_part(3)]))


lstm_sequence = make_lstm_sequence()


@primitive
def gru_sequence(xp, projected, h0, recurrent_kernel, recurrent_bias):
    """h of a GRU (tanh, sigmoid gates, reset gate after the recurrent matmul; Keras' order z, r, h) over
    time-major `projected` inputs (time, batch, 3 units) = x @ kernel + input bias; returns (time, batch, units)."""
    steps, batch, width = projected.shape
    units = width // 3
    pool = _pool()
    states = xp.empty((steps, batch, units), dtype=projected.dtype)
    saved = pool.take(xp, (steps, batch, 4 * units), projected.dtype)  # per step [z, r, candidate, inner_h]
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
    _keep(xp, pool, states, (saved,), saved=saved)
    return states


def _gru_through_time(xp, g, states, residuals, projected, h0, recurrent_kernel, recurrent_bias):
    """Gradients of (projected, h0, recurrent_kernel, recurrent_bias) for the cotangent `g` of the h output."""
    saved = residuals.arrays["saved"]
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


gru_sequence.defvjp(*_rules(_gru_through_time, [_shared_part(i) for i in range(4)]))
