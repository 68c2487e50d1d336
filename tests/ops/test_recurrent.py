"""nnkit.ops.recurrent.lstm_sequence, the fused NumPy LSTM primitive, called directly: values against a float64
step-by-step reference (including gates saturated far beyond where exp overflows float32, without warnings),
float32 in and out, and its closed-form BPTT against central finite differences.
(Through the LSTM layer, against the generic steps and JAX: tests/layers/rnn/test_recurrent_math.py.)"""
import warnings

import numpy as np
import pytest

from gradcheck import check_gradients
from nnkit.backends import active, get_backend
from nnkit.ops.recurrent import lstm_sequence

STEPS, BATCH, UNITS = 4, 3, 2
RNG = np.random.default_rng(11)


def _inputs(spread):
    """(projected, h0, c0, recurrent_kernel) in float64; `spread` scales the projected pre-activations."""
    return (RNG.standard_normal((STEPS, BATCH, 4 * UNITS)) * spread, RNG.standard_normal((BATCH, UNITS)) * 0.5,
            RNG.standard_normal((BATCH, UNITS)) * 0.5, RNG.standard_normal((UNITS, 4 * UNITS)) * 0.6)


def _reference(projected, h, c, recurrent_kernel):
    """[h, c] per step with the textbook formulas in float64 (Keras' gate order i, f, c, o)."""
    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    out = []
    for x in projected:
        z = x + h @ recurrent_kernel
        i, f, candidate, o = np.split(z, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(candidate)
        h = sigmoid(o) * np.tanh(c)
        out.append(np.concatenate([h, c], axis=-1))
    return np.stack(out)


@pytest.fixture
def numpy_backend():
    with active.using(get_backend("numpy")):
        yield


@pytest.mark.parametrize("spread", [1.0, 300.0], ids=["moderate", "saturated"])
def test_float32_values_match_float64_reference_without_warnings(numpy_backend, spread):
    """Saturated gates (|z| up to ~1000: exp(-z) overflows float32 to inf, on purpose) come out exactly 0 or 1
    and the candidate -1 or 1, with no overflow warning."""
    arrays = _inputs(spread)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = lstm_sequence(*[a.astype(np.float32) for a in arrays])
    assert out.dtype == np.float32 and out.shape == (STEPS, BATCH, 2 * UNITS)
    np.testing.assert_allclose(out, _reference(*arrays), rtol=2e-6, atol=2e-6)


def test_float64_values_match_reference(numpy_backend):
    arrays = _inputs(2.0)
    np.testing.assert_allclose(lstm_sequence(*arrays), _reference(*arrays), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("spread", [1.0, 4.0])
def test_gradients_match_finite_differences(numpy_backend, spread):
    """d/d(projected, h0, c0, recurrent_kernel) of every h and c of every step, through the closed-form BPTT."""
    check_gradients(lstm_sequence, *_inputs(spread))
