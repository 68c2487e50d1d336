"""The fused LSTM sequence primitive called directly, with its ufunc steps (nnkit.ops.recurrent.lstm_sequence, any
array namespace) and with the NumPy backend's compiled steps (nnkit.backends.numba_kernels.lstm_sequence): values
against a float64 step-by-step reference (including gates saturated far beyond where exp overflows float32,
without warnings), float32 in and out, its closed-form BPTT against central finite differences, and the pooled
buffers it reuses. (Through the LSTM layer, against the generic steps and JAX: tests/layers/rnn/test_recurrent_math.py;
the compiled kernels one step at a time: tests/backends/test_numba_kernels.py.)"""
import warnings

import numpy as np
import pytest

from gradcheck import check_gradients
from nnkit.backends import active, get_backend
from nnkit import ops
from nnkit.ops import recurrent
from nnkit.backends import numba_kernels

STEPS, BATCH, FEATURES, UNITS = 4, 3, 5, 2
RNG = np.random.default_rng(11)


def _inputs(spread):
    """(inputs, kernel, bias, h0, c0, recurrent_kernel) in float64; `spread` scales the inputs' pre-activations."""
    return (RNG.standard_normal((STEPS, BATCH, FEATURES)), RNG.standard_normal((FEATURES, 4 * UNITS)) * spread / 2,
            RNG.standard_normal(4 * UNITS) * spread / 2, RNG.standard_normal((BATCH, UNITS)) * 0.5,
            RNG.standard_normal((BATCH, UNITS)) * 0.5, RNG.standard_normal((UNITS, 4 * UNITS)) * 0.6)


def _reference(inputs, kernel, bias, h, c, recurrent_kernel):
    """h per step, then the last c, with the textbook formulas in float64 (Keras' gate order i, f, c, o)."""
    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    out = []
    for x in inputs:
        z = x @ kernel + (0 if bias is None else bias) + h @ recurrent_kernel
        i, f, candidate, o = np.split(z, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(candidate)
        h = sigmoid(o) * np.tanh(c)
        out.append(h)
    return np.stack(out + [c])


@pytest.fixture
def numpy_backend():
    with active.using(get_backend("numpy")):
        yield


@pytest.fixture(params=["ufunc", "compiled"])
def lstm_sequence(request):
    return {"ufunc": recurrent.lstm_sequence, "compiled": numba_kernels.lstm_sequence}[request.param]


@pytest.mark.parametrize("spread", [1.0, 300.0], ids=["moderate", "saturated"])
def test_float32_values_match_float64_reference_without_warnings(numpy_backend, lstm_sequence, spread):
    """Saturated gates (|z| up to ~1000: exp(-z) overflows float32 to inf, on purpose) come out exactly 0 or 1
    and the candidate -1 or 1, with no overflow warning."""
    arrays = _inputs(spread)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = lstm_sequence(*[a.astype(np.float32) for a in arrays])
    assert out.dtype == np.float32 and out.shape == (STEPS + 1, BATCH, UNITS)
    np.testing.assert_allclose(out, _reference(*arrays), rtol=2e-6, atol=2e-6)


def test_float64_values_match_reference(numpy_backend, lstm_sequence):
    arrays = _inputs(2.0)
    np.testing.assert_allclose(lstm_sequence(*arrays), _reference(*arrays), rtol=1e-13, atol=1e-14)


def test_time_major_view_of_batch_major_inputs_and_no_bias(numpy_backend, lstm_sequence):
    """The layer hands over a transposed view of (batch, time, features) data; a bias of None adds nothing."""
    inputs, kernel, _, h, c, recurrent_kernel = _inputs(1.0)
    view = np.ascontiguousarray(inputs.transpose(1, 0, 2)).transpose(1, 0, 2)
    np.testing.assert_allclose(lstm_sequence(view, kernel, None, h, c, recurrent_kernel),
                               _reference(inputs, kernel, None, h, c, recurrent_kernel), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("spread", [1.0, 4.0])
def test_gradients_match_finite_differences(numpy_backend, lstm_sequence, spread):
    """d/d(inputs, kernel, bias, h0, c0, recurrent_kernel) of every h and the last c, through the closed-form BPTT."""
    check_gradients(lstm_sequence, *_inputs(spread))


def test_gradients_of_a_single_step(numpy_backend, lstm_sequence):
    """One step: the recurrent kernel's gradient comes from h0 alone."""
    arrays = _inputs(1.0)
    check_gradients(lstm_sequence, arrays[0][:1], *arrays[1:])


def test_steps_reuse_pooled_buffers_without_stale_values(numpy_backend, lstm_sequence):
    """A second training step takes the first step's freed buffers from the pool (no new large arrays) and still
    gives the same values and gradients: nothing is read from a buffer before it is written."""
    arrays = _inputs(1.0)

    def step():
        loss, grads = ops.value_and_grad(lambda a: ops.sum(ops.square(lstm_sequence(*a))))(list(arrays))
        return np.asarray(loss), [np.asarray(g) for g in grads]

    pool = recurrent._pool()
    original_take = pool.take
    taken = {"first": [], "second": []}
    results = {}
    for name in taken:
        pool.take = lambda *args, name=name: taken[name].append(original_take(*args)) or taken[name][-1]
        try:
            results[name] = step()
        finally:
            del pool.take
    assert len(taken["first"]) == 4  # gates, c, tanh(c), dz
    assert sorted(map(id, taken["second"])) == sorted(map(id, taken["first"]))
    np.testing.assert_array_equal(results["first"][0], results["second"][0])
    for a, b in zip(results["first"][1], results["second"][1]):
        np.testing.assert_array_equal(a, b)


# --- GRU (reset gate after the recurrent matmul) ------------------------------------------------------------
@pytest.fixture(params=["ufunc", "compiled"])
def gru_sequence(request):
    return {"ufunc": recurrent.gru_sequence, "compiled": numba_kernels.gru_sequence}[request.param]


def _gru_inputs(spread):
    """(inputs, kernel, input bias, h0, recurrent_kernel, recurrent bias) in float64, the same draws for a spread
    whatever order the tests run in."""
    rng = np.random.default_rng(int(spread) + 20)
    return (rng.standard_normal((STEPS, BATCH, FEATURES)), rng.standard_normal((FEATURES, 3 * UNITS)) * spread / 2,
            rng.standard_normal(3 * UNITS) * spread / 2, rng.standard_normal((BATCH, UNITS)) * 0.5,
            rng.standard_normal((UNITS, 3 * UNITS)) * 0.6, rng.standard_normal(3 * UNITS) * 0.3)


def _gru_reference(inputs, kernel, input_bias, h, recurrent_kernel, recurrent_bias):
    """h per step with Keras' formulas in float64 (gate order z, r, h; reset after the recurrent matmul)."""
    def sigmoid(x):
        with np.errstate(over="ignore"):  # exp(1000) is inf even in float64: the gate's limit 0
            return 1.0 / (1.0 + np.exp(-x))

    out = []
    for x in inputs:
        x_z, x_r, x_h = np.split(x @ kernel + (0 if input_bias is None else input_bias), 3, axis=-1)
        inner_z, inner_r, inner_h = np.split(h @ recurrent_kernel + (0 if recurrent_bias is None else recurrent_bias),
                                             3, axis=-1)
        z, r = sigmoid(x_z + inner_z), sigmoid(x_r + inner_r)
        candidate = np.tanh(x_h + r * inner_h)
        h = z * h + (1 - z) * candidate
        out.append(h)
    return np.stack(out)


@pytest.mark.parametrize("spread", [1.0, 300.0], ids=["moderate", "saturated"])
def test_gru_float32_values_match_float64_reference_without_warnings(numpy_backend, gru_sequence, spread):
    arrays = _gru_inputs(spread)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = gru_sequence(*[a.astype(np.float32) for a in arrays])
    assert out.dtype == np.float32 and out.shape == (STEPS, BATCH, UNITS)
    np.testing.assert_allclose(out, _gru_reference(*arrays), rtol=2e-6, atol=2e-6)


def test_gru_float64_values_without_biases_match_reference(numpy_backend, gru_sequence):
    inputs, kernel, _, h, recurrent_kernel, _ = _gru_inputs(2.0)
    view = np.ascontiguousarray(inputs.transpose(1, 0, 2)).transpose(1, 0, 2)
    np.testing.assert_allclose(gru_sequence(view, kernel, None, h, recurrent_kernel, None),
                               _gru_reference(inputs, kernel, None, h, recurrent_kernel, None), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("spread", [1.0, 4.0])
def test_gru_gradients_match_finite_differences(numpy_backend, gru_sequence, spread):
    """d/d(inputs, kernel, input bias, h0, recurrent_kernel, recurrent bias) of every h, through the closed-form
    BPTT."""
    check_gradients(gru_sequence, *_gru_inputs(spread))
