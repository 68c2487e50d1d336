"""nnkit.ops.nn: activations, softmax family, crossentropies, one-hot, gathers, dropout, moments."""
import math

import numpy as np
import pytest

import nnkit.ops as ops
from gradcheck import Case, conformance_tests, to_host
from nnkit.backends import active, get_backend
from nnkit.config import epsilon


def _rng(seed):
    return np.random.default_rng(seed)


def signed(shape, seed, lo=0.2, hi=3.0):
    """|x| in [lo, hi]: away from the kink at 0."""
    r = _rng(seed)
    return r.uniform(lo, hi, shape) * r.choice([-1.0, 1.0], shape)


def uniform(shape, seed, lo=-3.0, hi=3.0):
    return _rng(seed).uniform(lo, hi, shape)


def probabilities(shape, seed, axis=-1):
    p = _rng(seed).uniform(0.1, 1.0, shape)
    return p / p.sum(axis=axis, keepdims=True)


# --- NumPy float64 references (written from the definitions, not from nnkit) -------------------------
_erf = np.vectorize(math.erf, otypes=[np.float64])
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def np_softmax(x, axis=-1):
    return np.exp(np_log_softmax(x, axis))


def np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1))


def np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def np_hard_sigmoid(x):
    return np.clip(x / 6 + 0.5, 0, 1)


def np_sigmoid_xent(t, z):
    """-(t log sigmoid(z) + (1 - t) log(1 - sigmoid(z))) = log(1 + e^z) - t z, computed stably."""
    return np.logaddexp(0.0, z) - t * z


def np_sparse_xent(labels, logits, axis=-1):
    lp = np_log_softmax(logits, axis)
    return -np.squeeze(np.take_along_axis(lp, np.expand_dims(labels, axis), axis=axis), axis=axis)


def np_categorical_probs(t, p, axis=-1):
    """Keras' probability path: renormalise, clip to [eps, 1 - eps], -sum(t log p)."""
    p = np.clip(p / p.sum(axis=axis, keepdims=True), epsilon(), 1 - epsilon())
    return -(t * np.log(p)).sum(axis=axis)


def np_binary_probs(t, p):
    p = np.clip(p, epsilon(), 1 - epsilon())
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


# Points away from the kinks of relu6 (0, 6) and hard_sigmoid/hard_silu (-3, 3).
_RELU6_X = np.array([[-1.5, -0.3, 0.4, 2.0], [5.5, 6.5, 8.0, 3.3], [0.9, -4.0, 5.8, 1.2]])
_HARD_X = np.array([[-4.5, -3.4, -2.6, -1.0], [0.0, 0.7, 2.5, 2.9], [3.2, 4.0, -0.2, 1.9]])

_TARGET = probabilities((3, 4), 10)
_LABELS = np.array([3, 0, 2])
_BIN_TARGET = _rng(11).uniform(0.0, 1.0, (3, 4))

CASES = {
    "relu": Case(ops.relu, lambda x: np.maximum(x, 0), (signed((3, 4), 1),)),
    "relu6": Case(ops.relu6, lambda x: np.minimum(np.maximum(x, 0), 6), (_RELU6_X,)),
    "sigmoid": Case(ops.sigmoid, np_sigmoid, (uniform((3, 4), 2, -6, 6),)),
    "softplus": Case(ops.softplus, lambda x: np.log1p(np.exp(x)), (uniform((3, 4), 3, -6, 6),)),
    "elu": Case(ops.elu, np_elu, (signed((3, 4), 4),)),
    "elu-alpha": Case(lambda x: ops.elu(x, alpha=0.5), lambda x: np_elu(x, 0.5), (signed((3, 4), 4),), jax=False),
    "leaky_relu": Case(ops.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), (signed((3, 4), 5),)),
    "leaky_relu-slope": Case(
        lambda x: ops.leaky_relu(x, negative_slope=0.05), lambda x: np.where(x > 0, x, 0.05 * x), (signed((3, 4), 5),), jax=False
    ),
    "selu": Case(ops.selu, lambda x: _SELU_SCALE * np_elu(x, _SELU_ALPHA), (signed((3, 4), 6),)),
    "silu": Case(ops.silu, lambda x: x * np_sigmoid(x), (uniform((3, 4), 7),)),
    "swish": Case(ops.swish, lambda x: x * np_sigmoid(x), (uniform((3, 4), 7),), jax=False),
    "gelu": Case(ops.gelu, lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))), (uniform((3, 4), 8),)),
    "gelu-approximate": Case(lambda x: ops.gelu(x, approximate=True), np_gelu_tanh, (uniform((3, 4), 8),)),
    "softsign": Case(ops.softsign, lambda x: x / (1 + np.abs(x)), (signed((3, 4), 9),)),
    "hard_sigmoid": Case(ops.hard_sigmoid, np_hard_sigmoid, (_HARD_X,)),
    "hard_silu": Case(ops.hard_silu, lambda x: x * np_hard_sigmoid(x), (_HARD_X,)),
    "softmax": Case(ops.softmax, np_softmax, (uniform((3, 4), 12),)),
    "softmax-axis0": Case(lambda x: ops.softmax(x, axis=0), lambda x: np_softmax(x, 0), (uniform((3, 4), 12),), jax=False),
    "log_softmax": Case(ops.log_softmax, np_log_softmax, (uniform((3, 4), 13),)),
    "log_softmax-axis0": Case(lambda x: ops.log_softmax(x, axis=0), lambda x: np_log_softmax(x, 0), (uniform((3, 4), 13),), jax=False),
    "softmax_cross_entropy": Case(
        ops.softmax_cross_entropy, lambda t, z: -(t * np_log_softmax(z)).sum(-1), (_TARGET, uniform((3, 4), 14)),
    ),
    "softmax_cross_entropy-axis0": Case(
        lambda t, z: ops.softmax_cross_entropy(t, z, axis=0), lambda t, z: -(t * np_log_softmax(z, 0)).sum(0),
        (probabilities((3, 4), 15, axis=0), uniform((3, 4), 14)), jax=False,
    ),
    "sigmoid_cross_entropy": Case(ops.sigmoid_cross_entropy, np_sigmoid_xent, (_BIN_TARGET, signed((3, 4), 16))),
    "sparse_softmax_cross_entropy": Case(
        ops.sparse_softmax_cross_entropy, np_sparse_xent, (_LABELS, uniform((3, 4), 17)),
    ),
    "sparse_softmax_cross_entropy-axis0": Case(
        lambda y, z: ops.sparse_softmax_cross_entropy(y, z, axis=0), lambda y, z: np_sparse_xent(y, z, 0),
        (np.array([2, 0, 1, 1]), uniform((3, 4), 17)), jax=False,
    ),
    "categorical_crossentropy-logits": Case(
        lambda t, z: ops.categorical_crossentropy(t, z, from_logits=True),
        lambda t, z: -(t * np_log_softmax(z)).sum(-1), (_TARGET, uniform((3, 4), 18)),
    ),
    "categorical_crossentropy-probs": Case(
        ops.categorical_crossentropy, np_categorical_probs, (_TARGET, probabilities((3, 4), 19)),
    ),
    "categorical_crossentropy-unnormalised": Case(
        ops.categorical_crossentropy, np_categorical_probs, (_TARGET, _rng(20).uniform(0.1, 2.0, (3, 4))), jax=False,
    ),
    "categorical_crossentropy-axis0": Case(
        lambda t, p: ops.categorical_crossentropy(t, p, axis=0), lambda t, p: np_categorical_probs(t, p, 0),
        (probabilities((3, 4), 21, 0), probabilities((3, 4), 22, 0)), jax=False,
    ),
    "sparse_categorical_crossentropy-logits": Case(
        lambda y, z: ops.sparse_categorical_crossentropy(y, z, from_logits=True), np_sparse_xent,
        (_LABELS, uniform((3, 4), 23)),
    ),
    "sparse_categorical_crossentropy-probs": Case(
        ops.sparse_categorical_crossentropy,
        lambda y, p: -np.log(np.take_along_axis(p, y[:, None], -1)[:, 0] / p.sum(-1)),
        (_LABELS, probabilities((3, 4), 24)),
    ),
    "sparse_categorical_crossentropy-float-labels": Case(
        ops.sparse_categorical_crossentropy,
        lambda y, p: -np.log(np.take_along_axis(p, y.astype(int)[:, None], -1)[:, 0]),
        (_LABELS.astype(np.float32), probabilities((3, 4), 24)), jax=False, wrt=(1,),
    ),
    "binary_crossentropy-logits": Case(
        lambda t, z: ops.binary_crossentropy(t, z, from_logits=True), np_sigmoid_xent, (_BIN_TARGET, signed((3, 4), 25)),
    ),
    "binary_crossentropy-probs": Case(
        ops.binary_crossentropy, np_binary_probs, (_BIN_TARGET, _rng(26).uniform(0.05, 0.95, (3, 4))),
    ),
    "take-axis0": Case(lambda x: ops.take(x, np.array([2, 0, 2, 2])), lambda x: x[[2, 0, 2, 2]], (uniform((3, 4), 27),)),
    "take-axis1": Case(lambda x: ops.take(x, np.array([3, 3, 1]), axis=1), lambda x: x[:, [3, 3, 1]], (uniform((3, 4), 27),), jax=False),
    "take-2d-indices-negative-axis": Case(
        lambda x: ops.take(x, np.array([[0, 3], [3, 3], [1, 0]]), axis=-1),
        lambda x: x[..., np.array([[0, 3], [3, 3], [1, 0]])], (uniform((2, 3, 4), 28),),
    ),
    "take-list-indices": Case(lambda x: ops.take(x, [1, 1, 0], axis=0), lambda x: x[[1, 1, 0]], (uniform((3, 4), 27),), jax=False),
    "take_along_axis": Case(
        lambda x: ops.take_along_axis(x, np.array([[0, 0], [3, 1], [2, 2]]), axis=1),
        lambda x: np.array([[x[0, 0], x[0, 0]], [x[1, 3], x[1, 1]], [x[2, 2], x[2, 2]]]), (uniform((3, 4), 29),),
    ),
    "take_along_axis-axis0": Case(
        lambda x: ops.take_along_axis(x, np.array([[2, 0, 0, 1]]), axis=0),
        lambda x: x[[2, 0, 0, 1], [0, 1, 2, 3]][None], (uniform((3, 4), 29),), jax=False,
    ),
    "take_along_axis-broadcast-indices": Case(
        lambda x: ops.take_along_axis(x, np.array([[1, 1, 3]]), axis=1), lambda x: x[:, [1, 1, 3]], (uniform((3, 4), 29),),
        jax=False,
    ),
    "take_along_axis-negative-axis": Case(
        lambda x: ops.take_along_axis(x, np.array([[[1], [1], [0]]] * 2), axis=-1),
        lambda x: np.stack([x[0][[0, 1, 2], [1, 1, 0]][:, None], x[1][[0, 1, 2], [1, 1, 0]][:, None]]),
        (uniform((2, 3, 4), 30),), jax=False,
    ),
    "moments": Case(
        lambda x: ops.moments(x, axes=(0,)), lambda x: (x.mean(0), x.var(0)), (uniform((3, 4), 31),),
    ),
    "moments-keepdims": Case(
        lambda x: ops.moments(x, axes=(0, 2), keepdims=True),
        lambda x: (x.mean((0, 2), keepdims=True), x.var((0, 2), keepdims=True)), (uniform((2, 3, 4), 32),), jax=False,
    ),
}

(test_forward_matches_float64_reference, test_float32_stays_float32, test_gradient_matches_finite_differences,
 test_tape_gradient_matches_jax) = conformance_tests(CASES)


# --- crossentropies at extreme logits ---------------------------------------------------------------
_EXTREME = np.array([[100.0, -100.0, 0.0], [-100.0, 100.0, 50.0]])
_EXTREME_TARGET = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], np.float32)
EXTREME = {
    "softmax_cross_entropy": (
        lambda z: ops.softmax_cross_entropy(_EXTREME_TARGET, z), lambda z: -(_EXTREME_TARGET * np_log_softmax(z)).sum(-1)
    ),
    "categorical_crossentropy": (
        lambda z: ops.categorical_crossentropy(_EXTREME_TARGET, z, from_logits=True),
        lambda z: -(_EXTREME_TARGET * np_log_softmax(z)).sum(-1),
    ),
    "sparse_softmax_cross_entropy": (
        lambda z: ops.sparse_softmax_cross_entropy(np.array([1, 0]), z), lambda z: np_sparse_xent(np.array([1, 0]), z)
    ),
    "sparse_categorical_crossentropy": (
        lambda z: ops.sparse_categorical_crossentropy(np.array([1, 0]), z, from_logits=True),
        lambda z: np_sparse_xent(np.array([1, 0]), z),
    ),
    "sigmoid_cross_entropy": (
        lambda z: ops.sigmoid_cross_entropy(_EXTREME_TARGET, z), lambda z: np_sigmoid_xent(_EXTREME_TARGET, z)
    ),
    "binary_crossentropy": (
        lambda z: ops.binary_crossentropy(_EXTREME_TARGET, z, from_logits=True), lambda z: np_sigmoid_xent(_EXTREME_TARGET, z)
    ),
    "log_softmax": (ops.log_softmax, np_log_softmax),
    "softplus": (ops.softplus, lambda z: np.logaddexp(0.0, z)),
    "sigmoid": (ops.sigmoid, np_sigmoid),
}


@pytest.mark.parametrize("name", sorted(EXTREME))
def test_extreme_logits_give_finite_exact_values_and_gradients(backend, name):
    fn, ref = EXTREME[name]
    z = backend.asarray(_EXTREME.astype(np.float32))
    out = to_host(fn(z))
    assert out.dtype == np.float32
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, ref(_EXTREME), rtol=1e-5, atol=1e-6)
    (value, _), (grad,) = backend.value_and_grad(lambda p: (ops.sum(fn(p[0])), None))([z])
    grad = to_host(grad)
    assert np.all(np.isfinite(grad)) and np.isfinite(float(to_host(value)))
    # Compare with the float64 finite-difference gradient of the stable reference.
    eps = 1e-4
    numeric = np.zeros_like(_EXTREME)
    for idx in np.ndindex(_EXTREME.shape):
        up, down = _EXTREME.copy(), _EXTREME.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (ref(up).sum() - ref(down).sum()) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-5)


def test_crossentropy_at_extreme_logits_has_the_right_size(backend):
    """A confidently wrong prediction costs ~200 nats (not a clipped 16), a confidently right one ~0."""
    z = backend.asarray(np.array([[100.0, -100.0]], np.float32))
    wrong = float(to_host(ops.sparse_softmax_cross_entropy(np.array([1]), z))[0])
    right = float(to_host(ops.sparse_softmax_cross_entropy(np.array([0]), z))[0])
    np.testing.assert_allclose(wrong, 200.0, rtol=1e-6)
    assert 0.0 <= right < 1e-6
    bce = to_host(ops.binary_crossentropy(backend.asarray(np.array([1.0, 0.0], np.float32)),
                                          backend.asarray(np.array([-100.0, 100.0], np.float32)), from_logits=True))
    np.testing.assert_allclose(bce, [100.0, 100.0], rtol=1e-6)


# --- the softmax/sigmoid -> crossentropy logits path ------------------------------------------
LOGITS_PATH = {
    "categorical": (
        lambda t, z: ops.categorical_crossentropy(t, ops.softmax(z)),
        lambda t, z: ops.categorical_crossentropy(t, z, from_logits=True),
        _TARGET,
    ),
    "categorical-axis0": (
        lambda t, z: ops.categorical_crossentropy(t, ops.softmax(z, axis=0), axis=0),
        lambda t, z: ops.categorical_crossentropy(t, z, from_logits=True, axis=0),
        probabilities((3, 4), 40, axis=0),
    ),
    "sparse": (
        lambda y, z: ops.sparse_categorical_crossentropy(y, ops.softmax(z)),
        lambda y, z: ops.sparse_categorical_crossentropy(y, z, from_logits=True),
        _LABELS,
    ),
    "binary": (
        lambda t, z: ops.binary_crossentropy(t, ops.sigmoid(z)),
        lambda t, z: ops.binary_crossentropy(t, z, from_logits=True),
        _BIN_TARGET,
    ),
}


@pytest.mark.parametrize("name", sorted(LOGITS_PATH))
def test_probability_path_equals_logits_path_where_unclipped(backend, name):
    """crossentropy(t, softmax(z)) == crossentropy(t, z, from_logits=True) in value and gradient (moderate z,
    so no probability is clipped), through the fused logits shortcut."""
    via_probs, via_logits, target = LOGITS_PATH[name]
    z = uniform((3, 4), 41)
    results = []
    for fn in (via_probs, via_logits):
        (value, _), (grad,) = backend.value_and_grad(
            lambda p: (ops.sum(fn(backend.asarray(target), p[0])), None)
        )([backend.asarray(z.astype(np.float32))])
        results.append((float(to_host(value)), to_host(grad)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-4, atol=1e-6)
    # and both equal the probability-path value computed outside any gradient computation
    plain = float(to_host(ops.sum(via_probs(backend.asarray(target), backend.asarray(z.astype(np.float32))))))
    np.testing.assert_allclose(results[0][0], plain, rtol=1e-5)


FUSED = [
    (lambda t, p: ops.categorical_crossentropy(t, p), ops.softmax, np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])),
    (lambda t, p: ops.sparse_categorical_crossentropy(t, p), ops.softmax, np.array([1, 0])),
    (lambda t, p: ops.binary_crossentropy(t, p), ops.sigmoid, np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])),
]


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("loss, producer, target", FUSED, ids=["categorical", "sparse", "binary"])
def test_fused_path_gives_keras_clipped_values_and_gradients(backend, float64, loss, producer, target, compiled):
    """crossentropy(t, softmax(z)) runs as one fused op on the logits (traced back on the tape, remembered by
    JAX); it must compute exactly Keras' clipped-probability formula: a saturated output costs -log(1e-7)
    and passes no gradient back."""
    z = backend.asarray(np.array([[40.0, -40.0, 0.0], [0.3, -0.2, 0.1]]))
    target = backend.asarray(target)

    def fused(p):
        return ops.sum(loss(target, producer(p[0]))), None

    def composite(p):
        """The same loss, with the probabilities hidden from the fusion behind a multiplication by one."""
        return ops.sum(loss(target, ops.multiply(producer(p[0]), 1.0))), None

    results = []
    for fn in (fused, composite):
        step = backend.value_and_grad(fn)
        step = backend.jit(step) if compiled else step
        (value, _), (grad,) = step([z])
        results.append((float(to_host(value)), to_host(grad)))
    (value, grad), (expected_value, expected_grad) = results
    assert z.dtype == np.float64
    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, atol=1e-12)
    assert grad[0, 0] == 0.0  # saturated and clipped: no gradient


def test_jax_remembers_which_softmax_made_an_output():
    """On JAX (immutable arrays) the crossentropy finds the logits behind a softmax by the record the backend
    keeps, inside and outside jit; other arrays have no record."""
    jax_backend = pytest.importorskip("nnkit.backends.jax_backend").JaxBackend()
    with active.using(jax_backend):
        z = jax_backend.asarray(uniform((2, 3), 42).astype(np.float32))
        probabilities_ = ops.softmax(z, axis=0)
        primitive, args, kwargs = jax_backend.made_by(probabilities_)
        assert primitive is ops.softmax and args[0] is z and kwargs == {"axis": 0}
        assert jax_backend.made_by(z) is None
        assert jax_backend.made_by(ops.multiply(probabilities_, 1.0)) is None

        def traced(logits):
            made = jax_backend.made_by(ops.sigmoid(logits))
            assert made is not None and made[0] is ops.sigmoid and made[1][0] is logits
            return logits

        jax_backend.jit(traced)(z)


def test_relu_passes_no_gradient_at_exactly_zero(backend):
    """relu'(0) = 0 on every backend (the tape's rule, and JAX's with the same rule), not JAX's 1/2 for a
    tie inside maximum; zero pre-activations are common (zero padding, zero inputs and biases)."""
    x = backend.asarray(np.array([-1.0, 0.0, 2.0], np.float32))
    (_, _), (grad,) = backend.value_and_grad(lambda p: (ops.sum(ops.relu(p[0])), None))([x])
    np.testing.assert_array_equal(to_host(grad), [0.0, 0.0, 1.0])
    compiled = backend.jit(backend.value_and_grad(lambda p: (ops.sum(ops.relu(p[0])), None)))
    np.testing.assert_array_equal(to_host(compiled([x])[1][0]), [0.0, 0.0, 1.0])


# --- one_hot -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_one_hot(backend, axis):
    labels = np.array([[0, 2], [3, 1], [2, 2]])
    out = ops.one_hot(backend.asarray(labels), 4, axis=axis)
    expected = np.moveaxis(np.eye(4, dtype=np.float32)[labels], -1, axis)
    assert np.dtype(out.dtype) == np.float32
    np.testing.assert_array_equal(to_host(out), expected)
    as_int = ops.one_hot(backend.asarray(labels), 4, dtype="int32")
    assert np.dtype(as_int.dtype) == np.int32


def test_one_hot_is_a_constant_for_the_tape(backend):
    x = backend.asarray(np.ones((2, 3), np.float32))
    (_, _), (grad,) = backend.value_and_grad(
        lambda p: (ops.sum(ops.multiply(p[0], ops.one_hot(np.array([2, 0]), 3))), None)
    )([x])
    np.testing.assert_array_equal(to_host(grad), [[0, 0, 1], [1, 0, 0]])


# --- dropout -----------------------------------------------------------------------------------------
def test_dropout_rate_zero_is_identity(backend):
    x = backend.asarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    out = ops.dropout(x, 0.0, backend.random_key(0))
    np.testing.assert_array_equal(to_host(out), to_host(x))


def test_dropout_keeps_the_expected_fraction_and_scales(backend):
    rate = 0.3
    x = backend.asarray(np.full((200, 100), 2.0, np.float32))
    out = to_host(ops.dropout(x, rate, backend.random_key(123)))
    assert out.dtype == np.float32
    kept = out != 0
    # 20000 Bernoulli(0.7) draws: the standard deviation of the fraction is ~0.0032.
    assert abs(kept.mean() - (1 - rate)) < 0.02
    np.testing.assert_allclose(out[kept], 2.0 / (1 - rate), rtol=1e-6)
    # Expected value is preserved.
    assert abs(out.mean() - 2.0) < 0.06


def test_dropout_same_key_same_mask_other_key_other_mask(backend):
    x = backend.asarray(np.ones((32, 32), np.float32))
    a = to_host(ops.dropout(x, 0.5, backend.random_key(7)))
    b = to_host(ops.dropout(x, 0.5, backend.random_key(7)))
    c = to_host(ops.dropout(x, 0.5, backend.random_key(8)))
    d = to_host(ops.dropout(x, 0.5, backend.fold_in(backend.random_key(7), 1)))
    np.testing.assert_array_equal(a, b)
    assert (a != c).any() and (a != d).any()


def test_dropout_noise_shape_broadcasts_the_mask(backend):
    x = backend.asarray(np.ones((50, 20), np.float32))
    out = to_host(ops.dropout(x, 0.5, backend.random_key(3), noise_shape=(1, 20)))
    # every column is either entirely dropped or entirely kept
    assert np.all((out == 0).all(axis=0) | (out == 2.0).all(axis=0))
    assert 0 < (out[0] == 0).sum() < 20


def test_dropout_gradient_is_the_scaled_mask(backend):
    rate = 0.25
    key = backend.random_key(5)
    x = backend.asarray(_rng(0).uniform(1.0, 2.0, (8, 8)).astype(np.float32))
    (value, _), (grad,) = backend.value_and_grad(lambda p: (ops.sum(ops.dropout(p[0], rate, key)), None))([x])
    mask = to_host(ops.dropout(backend.asarray(np.ones((8, 8), np.float32)), rate, key))
    assert np.dtype(grad.dtype) == np.float32
    np.testing.assert_allclose(to_host(grad), mask, rtol=1e-6)
    np.testing.assert_allclose(float(to_host(value)), float((to_host(x) * mask).sum()), rtol=1e-5)


def test_selu_constants(backend):
    """selu(1) = scale, selu(-inf) -> -scale * alpha."""
    out = to_host(ops.selu(backend.asarray(np.array([1.0, -30.0], np.float32))))
    np.testing.assert_allclose(out, [1.0507009873554805, -1.0507009873554805 * 1.6732632423543772], rtol=1e-6)
