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
from nnkit.ops.primitive import Primitive

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
    that go back to the forward thread's pool with the output (a backward on another thread takes from its own
    pool: `take` is per thread, `give` is safe anywhere), and `shared` caches the backward pass the argument rules
    share."""

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
    with _overflow_to_inf(xp):
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
        xp.exp(gates, out=gates)  # may overflow to inf on purpose: the loop silences the warning
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
    dz = _pool().take(xp, gates.shape, dtype)
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


# The gradients of the inputs, the input kernel and the input bias, from the shared pass's first entry: the
# gradient of every step's projected inputs, (time, batch, gates * units).
def _inputs_gradient(xp, shared, residuals, inputs, kernel, *_):
    return (_flat(shared[0]) @ kernel.T).reshape(inputs.shape)


def _kernel_gradient(xp, shared, residuals, *_):
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
    return sequence.defvjp(*_rules(through_time, [_inputs_gradient, _kernel_gradient, _bias_gradient,
                                                  _shared_part(1), _shared_part(2), _shared_part(3)]))


lstm_sequence = make_lstm_sequence()


def _gru_forward(kernels, xp, inputs, kernel, input_bias, h0, recurrent_kernel, recurrent_bias):
    """h of a GRU (tanh, sigmoid gates, reset gate after the recurrent matmul; Keras' order z, r, h) over
    time-major `inputs` (time, batch, features); either bias may be None. Returns (time, batch, units)."""
    steps, batch, features = inputs.shape
    units = recurrent_kernel.shape[0]
    width = 3 * units
    dtype = xp.result_type(inputs, kernel, recurrent_kernel)
    pool = _pool()
    flat_inputs = inputs.reshape(steps * batch, features)
    projected = pool.take(xp, (steps, batch, width), dtype)
    xp.matmul(flat_inputs, kernel, out=projected.reshape(steps * batch, width))
    if input_bias is not None:
        projected += input_bias
    if recurrent_bias is None:
        recurrent_bias = xp.zeros(width, dtype=dtype)
    out = xp.empty((steps, batch, units), dtype=dtype)
    saved = pool.take(xp, (steps, batch, 4 * units), dtype)  # per step [z, r, candidate, inner_h]
    inner = xp.empty((batch, width), dtype=dtype)
    step = kernels(xp, batch, units, dtype)
    h = h0
    for t in range(steps):
        xp.matmul(h, recurrent_kernel, out=inner)
        step.forward(projected[t], inner, recurrent_bias, h, saved[t], out[t])
        h = out[t]
    pool.give(xp, [projected])
    _keep(xp, pool, out, (saved,), flat_inputs=flat_inputs, saved=saved)
    return out


class UfuncGruSteps:
    """The element-wise parts of a GRU time step (reset gate after the recurrent matmul) as array-namespace
    ufuncs (any xp), on (batch, units) scratch."""

    def __init__(self, xp, batch, units, dtype):
        self.xp, self.units = xp, units
        self.first = xp.empty((batch, units), dtype=dtype)
        self.second = xp.empty((batch, units), dtype=dtype)

    def forward(self, projected, inner, recurrent_bias, h, saved, h_new):
        """From the step's projected inputs and h_previous @ recurrent kernel (`inner`, changed), write
        saved = [z, r, candidate, inner_h] and h_new = candidate + z (h - candidate)."""
        xp, units = self.xp, self.units
        inner += recurrent_bias
        gates = saved[:, :2 * units]
        xp.add(projected[:, :2 * units], inner[:, :2 * units], out=gates)
        _sigmoid_(xp, gates)
        candidate, inner_h = saved[:, 2 * units:3 * units], saved[:, 3 * units:]
        inner_h[...] = inner[:, 2 * units:]
        xp.multiply(gates[:, units:], inner_h, out=candidate)
        candidate += projected[:, 2 * units:]
        xp.tanh(candidate, out=candidate)
        xp.subtract(h, candidate, out=h_new)
        h_new *= gates[:, :units]
        h_new += candidate

    def backward(self, saved, h_previous, dh, d_projected, d_inner):
        """Write the step's gradients of the projected inputs' and of the recurrent product's pre-activations
        (they differ in the candidate block: the reset gate scales the recurrent part) and turn dh (the step's
        total h gradient) into its part through z: dh z."""
        xp, units, first, second = self.xp, self.units, self.first, self.second
        z, r, candidate, inner_h = (saved[:, k * units:(k + 1) * units] for k in range(4))
        d_z, d_r, d_candidate = (d_projected[:, k * units:(k + 1) * units] for k in range(3))
        xp.subtract(h_previous, candidate, out=first)  # dh (h_previous - candidate) z (1 - z)
        xp.multiply(first, dh, out=first)
        xp.subtract(1, z, out=second)
        xp.multiply(second, z, out=d_z)
        xp.multiply(d_z, first, out=d_z)
        xp.multiply(candidate, candidate, out=first)  # dh (1 - z) (1 - candidate^2)
        xp.subtract(1, first, out=first)
        xp.multiply(first, second, out=first)
        xp.multiply(first, dh, out=d_candidate)
        xp.subtract(1, r, out=first)  # d_candidate inner_h r (1 - r)
        xp.multiply(first, r, out=first)
        xp.multiply(first, inner_h, out=first)
        xp.multiply(first, d_candidate, out=d_r)
        d_inner[:, :2 * units] = d_projected[:, :2 * units]
        xp.multiply(d_candidate, r, out=d_inner[:, 2 * units:])
        dh *= z


def _gru_through_time(kernels, xp, g, out, residuals, inputs, kernel, input_bias, h0, recurrent_kernel,
                      recurrent_bias):
    """(d projected, dh0, d recurrent kernel, d inner) for the cotangent `g` of the output: the gradients of every
    step's projected inputs and of its recurrent product h_previous @ recurrent kernel, (time, batch, 3 units)."""
    saved = residuals.arrays["saved"]
    steps, batch, _ = saved.shape
    units = recurrent_kernel.shape[0]
    dtype = saved.dtype
    kernel_t = xp.ascontiguousarray(recurrent_kernel.T)
    d_projected = _pool().take(xp, (steps, batch, 3 * units), dtype)
    d_inner = _pool().take(xp, (steps, batch, 3 * units), dtype)
    residuals.pooled += [d_projected, d_inner]
    through_recurrence = xp.empty((batch, units), dtype=dtype)
    step = kernels(xp, batch, units, dtype)
    dh = g[steps - 1].astype(dtype, copy=True)
    for t in range(steps - 1, -1, -1):
        if t < steps - 1:
            dh += g[t]
        step.backward(saved[t], h0 if t == 0 else out[t - 1], dh, d_projected[t], d_inner[t])
        xp.matmul(d_inner[t], kernel_t, out=through_recurrence)
        dh += through_recurrence
    d_kernel = h0.T @ d_inner[0]
    if steps > 1:
        d_kernel += _flat(out[:steps - 1]).T @ _flat(d_inner[1:])
    return d_projected, dh, d_kernel, d_inner


def _recurrent_bias_gradient(xp, shared, *_):
    return _flat(shared[3]).sum(axis=0)


def make_gru_sequence(kernels=UfuncGruSteps):
    """The fused GRU sequence primitive (reset gate after the recurrent matmul) whose time loops run the per-step
    element-wise kernels that `kernels(xp, batch, units, dtype)` makes."""
    def gru_sequence(xp, inputs, kernel, input_bias, h0, recurrent_kernel, recurrent_bias):
        return _gru_forward(kernels, xp, inputs, kernel, input_bias, h0, recurrent_kernel, recurrent_bias)

    sequence = Primitive(gru_sequence)
    through_time = functools.partial(_gru_through_time, kernels)
    return sequence.defvjp(*_rules(through_time, [_inputs_gradient, _kernel_gradient, _bias_gradient,
                                                  _shared_part(1), _shared_part(2), _recurrent_bias_gradient]))


gru_sequence = make_gru_sequence()
