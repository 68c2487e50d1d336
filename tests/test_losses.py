"""nnkit.losses against float64 NumPy references and finite differences on every backend, plus stability,
label smoothing, weights and reductions, shape checks, lookup and config round-trips."""
from typing import Callable, NamedTuple

import numpy as np
import pytest

import nnkit.ops as ops
from gradcheck import check_float32, check_forward, check_gradients, to_host
from nnkit import activations, losses

EPS = 1e-7  # Keras' fuzz factor
B, C = 4, 5
_rng = np.random.default_rng(20240607)

PROBS = _rng.uniform(0.05, 0.95, (B, C))  # not normalised: the categorical losses normalise
PROBS_NORMALISED = PROBS / PROBS.sum(-1, keepdims=True)
SOFT = _rng.dirichlet(np.ones(C), B)
LABELS = np.array([0, 3, 2, 4])
ONE_HOT = np.eye(C)[LABELS]
BINARY = np.array([[0, 1, 1, 0, 1], [1, 1, 0, 0, 0], [0, 0, 1, 1, 1], [1, 0, 0, 1, 0]], dtype=float)
SIGNED = 2.0 * BINARY - 1.0
LOGITS = _rng.normal(0.0, 2.0, (B, C))
TARGET = _rng.normal(0.0, 1.5, (B, C))
PREDICTION = TARGET + _rng.choice([-1.0, 1.0], (B, C)) * _rng.uniform(0.2, 2.5, (B, C))  # |error| >= 0.2
POSITIVE_TARGET = _rng.uniform(0.2, 3.0, (B, C))
POSITIVE_PREDICTION = _rng.uniform(0.2, 3.0, (B, C))


# --- float64 NumPy references, written from the Keras formulas ----------------------------------------
def _log_softmax(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def ref_binary_crossentropy(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    t = t * (1.0 - label_smoothing) + 0.5 * label_smoothing
    p = _sigmoid(p) if from_logits else np.clip(p, EPS, 1.0 - EPS)
    return -(t * np.log(p) + (1.0 - t) * np.log(1.0 - p)).mean(axis=axis)


def ref_categorical_crossentropy(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    t = t * (1.0 - label_smoothing) + label_smoothing / t.shape[axis]
    if from_logits:
        log_p = _log_softmax(p, axis)
    else:
        log_p = np.log(np.clip(p / p.sum(axis=axis, keepdims=True), EPS, 1.0 - EPS))
    return -(t * log_p).sum(axis=axis)


def ref_sparse_categorical_crossentropy(t, p, from_logits=False, ignore_class=None, axis=-1):
    labels = t.reshape(p.shape[:-1]).astype(int)
    log_p = _log_softmax(p) if from_logits else np.log(p / p.sum(-1, keepdims=True))
    picked = -np.take_along_axis(log_p, np.where(labels == ignore_class, 0, labels)[..., None], -1)[..., 0]
    return np.where(labels == ignore_class, 0.0, picked)


def ref_mean_squared_error(t, p):
    return ((t - p) ** 2).mean(-1)


def ref_mean_absolute_error(t, p):
    return np.abs(t - p).mean(-1)


def ref_mean_absolute_percentage_error(t, p):
    return 100.0 * (np.abs(t - p) / np.maximum(np.abs(t), EPS)).mean(-1)


def ref_mean_squared_logarithmic_error(t, p):
    return ((np.log1p(np.maximum(p, EPS)) - np.log1p(np.maximum(t, EPS))) ** 2).mean(-1)


def ref_huber(t, p, delta=1.0):
    e = np.abs(p - t)
    return np.where(e <= delta, 0.5 * e**2, delta * e - 0.5 * delta**2).mean(-1)


def ref_log_cosh(t, p):
    return np.log(np.cosh(p - t)).mean(-1)


def _signed_labels(t):
    return 2.0 * t - 1.0 if np.isin(t, (0.0, 1.0)).all() else t


def ref_hinge(t, p):
    return np.maximum(1.0 - _signed_labels(t) * p, 0.0).mean(-1)


def ref_squared_hinge(t, p):
    return (np.maximum(1.0 - _signed_labels(t) * p, 0.0) ** 2).mean(-1)


def ref_categorical_hinge(t, p):
    return np.maximum(((1.0 - t) * p).max(-1) - (t * p).sum(-1) + 1.0, 0.0)


def ref_kl_divergence(t, p):
    t, p = np.clip(t, EPS, 1.0), np.clip(p, EPS, 1.0)
    return (t * np.log(t / p)).sum(-1)


def ref_poisson(t, p):
    return (p - t * np.log(p + EPS)).mean(-1)


def ref_cosine_similarity(t, p, axis=-1):
    unit = lambda v: v / np.linalg.norm(v, axis=axis, keepdims=True)  # noqa: E731
    return -(unit(t) * unit(p)).sum(axis=axis)


class Case(NamedTuple):
    fn: Callable
    cls: type
    ref: Callable
    y_true: np.ndarray
    y_pred: np.ndarray
    kwargs: dict = {}


CASES = {
    "mse": Case(losses.mean_squared_error, losses.MeanSquaredError, ref_mean_squared_error, TARGET, PREDICTION),
    "mae": Case(losses.mean_absolute_error, losses.MeanAbsoluteError, ref_mean_absolute_error, TARGET, PREDICTION),
    "mape": Case(
        losses.mean_absolute_percentage_error, losses.MeanAbsolutePercentageError,
        ref_mean_absolute_percentage_error, TARGET, PREDICTION,
    ),
    "msle": Case(
        losses.mean_squared_logarithmic_error, losses.MeanSquaredLogarithmicError,
        ref_mean_squared_logarithmic_error, POSITIVE_TARGET, POSITIVE_PREDICTION,
    ),
    "huber": Case(losses.huber, losses.Huber, ref_huber, TARGET, TARGET + 0.8 * (PREDICTION - TARGET)),
    "huber_delta": Case(losses.huber, losses.Huber, ref_huber, TARGET, PREDICTION, {"delta": 0.5}),
    "log_cosh": Case(losses.log_cosh, losses.LogCosh, ref_log_cosh, TARGET, PREDICTION),
    "hinge_binary_labels": Case(losses.hinge, losses.Hinge, ref_hinge, BINARY, LOGITS),
    "hinge_signed_labels": Case(losses.hinge, losses.Hinge, ref_hinge, SIGNED, LOGITS),
    "squared_hinge": Case(losses.squared_hinge, losses.SquaredHinge, ref_squared_hinge, BINARY, LOGITS),
    "categorical_hinge": Case(
        losses.categorical_hinge, losses.CategoricalHinge, ref_categorical_hinge, ONE_HOT, LOGITS
    ),
    "kl_divergence": Case(losses.kl_divergence, losses.KLDivergence, ref_kl_divergence, SOFT, PROBS_NORMALISED),
    "poisson": Case(losses.poisson, losses.Poisson, ref_poisson, POSITIVE_TARGET, POSITIVE_PREDICTION),
    "cosine_similarity": Case(
        losses.cosine_similarity, losses.CosineSimilarity, ref_cosine_similarity, TARGET, PREDICTION
    ),
    "cosine_similarity_axis0": Case(
        losses.cosine_similarity, losses.CosineSimilarity, ref_cosine_similarity, TARGET, PREDICTION, {"axis": 0}
    ),
    "bce": Case(losses.binary_crossentropy, losses.BinaryCrossentropy, ref_binary_crossentropy, BINARY, PROBS),
    "bce_soft_labels": Case(
        losses.binary_crossentropy, losses.BinaryCrossentropy, ref_binary_crossentropy, PROBS_NORMALISED, PROBS
    ),
    "bce_smoothing": Case(
        losses.binary_crossentropy, losses.BinaryCrossentropy, ref_binary_crossentropy, BINARY, PROBS,
        {"label_smoothing": 0.2},
    ),
    "bce_logits": Case(
        losses.binary_crossentropy, losses.BinaryCrossentropy, ref_binary_crossentropy, BINARY, LOGITS,
        {"from_logits": True},
    ),
    "bce_logits_smoothing": Case(
        losses.binary_crossentropy, losses.BinaryCrossentropy, ref_binary_crossentropy, BINARY, LOGITS,
        {"from_logits": True, "label_smoothing": 0.1},
    ),
    "cce": Case(
        losses.categorical_crossentropy, losses.CategoricalCrossentropy, ref_categorical_crossentropy, SOFT, PROBS
    ),
    "cce_smoothing": Case(
        losses.categorical_crossentropy, losses.CategoricalCrossentropy, ref_categorical_crossentropy,
        ONE_HOT, PROBS, {"label_smoothing": 0.2},
    ),
    "cce_logits": Case(
        losses.categorical_crossentropy, losses.CategoricalCrossentropy, ref_categorical_crossentropy,
        ONE_HOT, LOGITS, {"from_logits": True},
    ),
    "cce_logits_smoothing": Case(
        losses.categorical_crossentropy, losses.CategoricalCrossentropy, ref_categorical_crossentropy,
        ONE_HOT, LOGITS, {"from_logits": True, "label_smoothing": 0.1},
    ),
    "cce_logits_axis0": Case(
        losses.categorical_crossentropy, losses.CategoricalCrossentropy, ref_categorical_crossentropy,
        np.ascontiguousarray(ONE_HOT.T), np.ascontiguousarray(LOGITS.T),
        {"from_logits": True, "label_smoothing": 0.1, "axis": 0},
    ),
    "sparse_cce": Case(
        losses.sparse_categorical_crossentropy, losses.SparseCategoricalCrossentropy,
        ref_sparse_categorical_crossentropy, LABELS, PROBS,
    ),
    "sparse_cce_column_labels": Case(
        losses.sparse_categorical_crossentropy, losses.SparseCategoricalCrossentropy,
        ref_sparse_categorical_crossentropy, LABELS[:, None], PROBS,
    ),
    "sparse_cce_logits": Case(
        losses.sparse_categorical_crossentropy, losses.SparseCategoricalCrossentropy,
        ref_sparse_categorical_crossentropy, LABELS, LOGITS, {"from_logits": True},
    ),
    "sparse_cce_ignore_class": Case(
        losses.sparse_categorical_crossentropy, losses.SparseCategoricalCrossentropy,
        ref_sparse_categorical_crossentropy, LABELS, LOGITS, {"from_logits": True, "ignore_class": 3},
    ),
}


def _call(case):
    return lambda y_true, y_pred: case.fn(y_true, y_pred, **case.kwargs)


@pytest.mark.parametrize("name", sorted(CASES))
def test_function_matches_float64_reference(backend, name):
    case = CASES[name]
    check_forward(_call(case), lambda t, p: case.ref(t, p, **case.kwargs), case.y_true, case.y_pred)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_finite_differences(backend, name):
    case = CASES[name]
    check_gradients(_call(case), case.y_true, case.y_pred, wrt=(1,))


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_predictions_give_float32_losses_and_gradients(backend, name):
    case = CASES[name]
    check_float32(_call(case), case.y_true, case.y_pred, wrt=(1,))


def test_references_are_not_degenerate():
    """The fixtures exercise both branches of every piecewise loss (else the checks above prove less)."""
    for case in (CASES["huber"], CASES["huber_delta"]):
        error, delta = np.abs(case.y_pred - case.y_true), case.kwargs.get("delta", 1.0)
        assert (error < delta).any() and (error > delta).any() and (np.abs(error - delta) > 1e-3).all()
    margins = 1.0 - SIGNED * LOGITS
    assert (margins > 0.05).any() and (margins < -0.05).any() and (np.abs(margins) > 1e-3).all()
    assert np.isin(LABELS, 3).sum() == 1


def value_and_grad(backend, fn, x):
    """sum(fn(x)) and its gradient at the host array `x`, from the active backend's autodiff."""
    (value, _), (grad,) = backend.value_and_grad(lambda params: (ops.sum(fn(params[0])), None))(
        [backend.asarray(x)]
    )
    return float(to_host(value)), to_host(grad)


# --- the tape's softmax/sigmoid -> logits path -----------------------------------------------------------
@pytest.mark.parametrize(
    "loss, activation, y_true",
    [
        (losses.categorical_crossentropy, activations.softmax, ONE_HOT),
        (losses.sparse_categorical_crossentropy, activations.softmax, LABELS),
        (losses.binary_crossentropy, activations.sigmoid, BINARY),
    ],
)
def test_loss_of_activation_output_has_the_logits_gradient(backend, loss, activation, y_true):
    """The backend differentiates loss(activation(z)) (the tape through the logits shortcut) while
    finite differences go through the clipped-probability path: they must agree."""
    check_gradients(lambda t, z: loss(t, activation(z)), y_true, LOGITS, wrt=(1,))
    check_forward(
        lambda t, z: loss(t, activation(z)),
        lambda t, z: ref_categorical_crossentropy(np.eye(C)[t] if t.ndim == 1 else t, z, from_logits=True)
        if activation is activations.softmax
        else ref_binary_crossentropy(t, z, from_logits=True),
        y_true, LOGITS,
    )


def test_saturated_softmax_gives_keras_clipped_loss_on_every_backend(backend, float64):
    """-log softmax(z)[1] for z = (100, -100): Keras clips the probability to 1e-7, so the loss is -log(1e-7)
    and no gradient flows; the tape's fused path and JAX must both give exactly that."""
    z = np.array([[100.0, -100.0]])
    t = np.array([[0.0, 1.0]])
    value, grad = value_and_grad(backend, lambda z: losses.categorical_crossentropy(t, activations.softmax(z)), z)
    np.testing.assert_allclose(value, -np.log(1e-7), rtol=1e-6)
    np.testing.assert_allclose(grad, [[0.0, 0.0]], atol=1e-12)


# --- numerical stability ---------------------------------------------------------------------------------
EXTREME_LOGITS = np.array([[100.0, -100.0, 100.0, -100.0], [-100.0, 100.0, -30.0, 30.0]])
EXTREME_BINARY = np.array([[1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_crossentropy_from_extreme_logits_is_finite_and_exact(backend, float64, dtype):
    fn = lambda z: losses.binary_crossentropy(EXTREME_BINARY, z, from_logits=True)  # noqa: E731
    expected = np.maximum(EXTREME_LOGITS, 0) - EXTREME_LOGITS * EXTREME_BINARY + np.log1p(
        np.exp(-np.abs(EXTREME_LOGITS))
    )
    value = to_host(fn(backend.asarray(EXTREME_LOGITS.astype(dtype))))
    np.testing.assert_allclose(value, expected.mean(-1), rtol=1e-6)
    _, grad = value_and_grad(backend, fn, EXTREME_LOGITS.astype(dtype))
    assert grad.dtype == dtype
    np.testing.assert_allclose(grad, (_sigmoid(EXTREME_LOGITS) - EXTREME_BINARY) / 4, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_categorical_crossentropies_from_extreme_logits_are_finite_and_exact(backend, float64, dtype):
    target = np.array([[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    expected = -(target * _log_softmax(EXTREME_LOGITS)).sum(-1)  # 200 and 200
    z = backend.asarray(EXTREME_LOGITS.astype(dtype))
    dense = to_host(losses.categorical_crossentropy(target, z, from_logits=True))
    sparse = to_host(losses.sparse_categorical_crossentropy(np.array([1, 0]), z, from_logits=True))
    np.testing.assert_allclose(dense, expected, rtol=1e-6)
    np.testing.assert_allclose(sparse, expected, rtol=1e-6)
    softmax_minus_target = np.exp(_log_softmax(EXTREME_LOGITS)) - target
    for fn in (
        lambda z: losses.categorical_crossentropy(target, z, from_logits=True),
        lambda z: losses.sparse_categorical_crossentropy(np.array([1, 0]), z, from_logits=True),
    ):
        _, grad = value_and_grad(backend, fn, EXTREME_LOGITS.astype(dtype))
        assert grad.dtype == dtype
        np.testing.assert_allclose(grad, softmax_minus_target, atol=1e-7)


def test_binary_crossentropy_gradient_at_zero_logits(backend, float64):
    """d/dz of the logits crossentropy is sigmoid(z) - y, also at z = 0 (e.g. a zero-initialised layer)."""
    y = np.array([[1.0, 0.0, 0.5]])
    _, grad = value_and_grad(backend, lambda z: losses.binary_crossentropy(y, z, from_logits=True), np.zeros((1, 3)))
    np.testing.assert_allclose(grad, (0.5 - y) / 3, atol=1e-12)


PROBABILITY_LOSSES = {
    "binary_crossentropy": (losses.binary_crossentropy, EXTREME_BINARY),
    "categorical_crossentropy": (losses.categorical_crossentropy, EXTREME_BINARY / 2),
    "sparse_categorical_crossentropy": (losses.sparse_categorical_crossentropy, np.array([2, 1])),
    "kl_divergence": (losses.kl_divergence, EXTREME_BINARY / 2),
    "poisson": (losses.poisson, EXTREME_BINARY),
    "mean_squared_logarithmic_error": (losses.mean_squared_logarithmic_error, EXTREME_BINARY),
}
ZERO_ONE = np.array([[0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0]])  # zeros in the true classes, ones elsewhere


@pytest.mark.parametrize("name", sorted(PROBABILITY_LOSSES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_probabilities_of_exactly_zero_and_one_give_finite_losses(backend, float64, name, dtype):
    fn, y_true = PROBABILITY_LOSSES[name]
    value = to_host(fn(y_true, backend.asarray(ZERO_ONE.astype(dtype))))
    assert value.dtype == dtype and np.all(np.isfinite(value)), value
    _, grad = value_and_grad(backend, lambda p: fn(y_true, p), ZERO_ONE.astype(dtype))
    assert grad.dtype == dtype and np.all(np.isfinite(grad)), grad


def test_probability_clipping_matches_keras_values(backend, float64):
    """Certain wrong answers cost -log(epsilon), certain right ones ~0 (Keras' clipping)."""
    value = to_host(losses.binary_crossentropy(np.array([[1.0, 0.0, 1.0, 0.0]]), backend.asarray(np.array(
        [[0.0, 1.0, 1.0, 0.0]]))))
    np.testing.assert_allclose(value, [-(2 * np.log(EPS) + 2 * np.log1p(-EPS)) / 4], rtol=1e-6)


# --- label smoothing -------------------------------------------------------------------------------------
def test_label_smoothing_moves_labels_the_keras_way(backend, float64):
    """Smoothing by s: binary labels become y(1 - s) + s/2, one-hot labels y(1 - s) + s/num_classes."""
    s = 0.3
    z = backend.asarray(LOGITS)
    got = to_host(losses.binary_crossentropy(BINARY, z, from_logits=True, label_smoothing=s))
    want = to_host(losses.binary_crossentropy(BINARY * (1 - s) + s / 2, z, from_logits=True))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    got = to_host(losses.categorical_crossentropy(ONE_HOT, z, from_logits=True, label_smoothing=s))
    want = to_host(losses.categorical_crossentropy(ONE_HOT * (1 - s) + s / C, z, from_logits=True))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert not np.allclose(got, to_host(losses.categorical_crossentropy(ONE_HOT, z, from_logits=True)))


def test_loss_classes_pass_label_smoothing_through(backend, float64):
    z = backend.asarray(LOGITS)
    for cls, fn, y in (
        (losses.BinaryCrossentropy, losses.binary_crossentropy, BINARY),
        (losses.CategoricalCrossentropy, losses.categorical_crossentropy, ONE_HOT),
    ):
        loss = cls(from_logits=True, label_smoothing=0.25)
        expected = to_host(fn(y, z, from_logits=True, label_smoothing=0.25)).mean()
        np.testing.assert_allclose(float(to_host(loss(y, z))), expected, rtol=1e-12)


# --- Loss classes: sample weights and reductions ---------------------------------------------------------
def ref_reduce(values, weights, reduction):
    """Keras' reductions: weights scale each sample's values, then sum / count / total weight / nothing."""
    w = np.ones_like(values) if weights is None else np.asarray(weights, dtype=float)
    if w.ndim == values.ndim + 1:
        w = w[..., 0]
    w = np.broadcast_to(w.reshape(w.shape + (1,) * (values.ndim - w.ndim)), values.shape)
    weighted = values * w
    if reduction in (None, "none"):
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean_with_sample_weight":
        return weighted.sum() / w.sum()
    return weighted.sum() / values.size


REDUCTIONS = ["sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", "none", None]
WEIGHTS = {
    "none": None,
    "per_sample": np.array([1.0, 0.5, 2.0, 0.0]),
    "column": np.array([[1.0], [0.5], [2.0], [0.0]]),
    "scalar": np.array(0.7),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_class_is_the_weighted_mean_of_the_function(backend, name):
    case = CASES[name]
    loss = case.cls(**case.kwargs)
    values = case.ref(case.y_true, case.y_pred, **case.kwargs)
    weights = np.array([1.0, 0.5, 2.0, 0.0, 1.5])[: len(values)]
    if "ignore_class" in name:
        valid = LABELS != case.kwargs["ignore_class"]
        expected = (values * weights).sum() / valid.sum()  # ignored labels leave the mean, as in Keras
    else:
        expected = ref_reduce(values, weights, "sum_over_batch_size")
    check_forward(lambda t, p: loss(t, p, sample_weight=weights), lambda t, p: expected, case.y_true, case.y_pred)
    check_gradients(lambda t, p: loss(t, p, sample_weight=weights), case.y_true, case.y_pred, wrt=(1,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weights", sorted(WEIGHTS))
@pytest.mark.parametrize("name", ["mse", "bce_logits_smoothing", "sparse_cce_logits"])
def test_reductions_and_sample_weights(backend, name, weights, reduction):
    case = CASES[name]
    loss = case.cls(reduction=reduction, **case.kwargs)
    expected = ref_reduce(case.ref(case.y_true, case.y_pred, **case.kwargs), WEIGHTS[weights], reduction)
    check_forward(
        lambda t, p: loss(t, p, sample_weight=WEIGHTS[weights]), lambda t, p: expected, case.y_true, case.y_pred
    )


@pytest.mark.parametrize("weights", ["per_sample", "per_step"])
def test_sequence_losses_weigh_samples_or_steps(backend, weights):
    """Per-sample losses of shape (batch, steps): (batch,) weights scale whole samples, (batch, steps)
    weights scale single steps."""
    y_true = TARGET.reshape(2, 2, 5)
    y_pred = PREDICTION.reshape(2, 2, 5)
    w = np.array([0.5, 2.0]) if weights == "per_sample" else np.array([[0.5, 1.0], [2.0, 0.0]])
    values = ref_mean_squared_error(y_true, y_pred)
    per_step = w[:, None] * np.ones((2, 2)) if weights == "per_sample" else w
    for reduction, expected in (
        ("none", values * per_step),
        ("sum_over_batch_size", (values * per_step).sum() / 4),
        ("mean_with_sample_weight", (values * per_step).sum() / per_step.sum()),
    ):
        check_forward(
            lambda t, p: losses.MeanSquaredError(reduction=reduction)(t, p, sample_weight=w),
            lambda t, p: expected, y_true, y_pred,
        )


def test_mean_with_sample_weight_of_zero_weights_is_zero(backend):
    loss = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    value = loss(TARGET, backend.asarray(PREDICTION), sample_weight=np.zeros(B))
    assert float(to_host(value)) == 0.0


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none", "mean_with_sample_weight"])
def test_ignore_class_masks_values_and_the_mean(backend, reduction):
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3, reduction=reduction)
    values = ref_sparse_categorical_crossentropy(LABELS, LOGITS, from_logits=True, ignore_class=3)
    valid = (LABELS != 3).astype(float)
    weights = np.array([1.0, 0.5, 2.0, 1.5])
    expected = {
        "sum_over_batch_size": (values * weights).sum() / valid.sum(),
        "sum": (values * weights).sum(),
        "none": values * weights * valid,
        "mean_with_sample_weight": (values * weights).sum() / (weights * valid).sum(),
    }[reduction]
    check_forward(lambda t, p: loss(t, p, sample_weight=weights), lambda t, p: expected, LABELS, LOGITS)


def test_sample_weight_that_cannot_weigh_the_samples_raises(backend):
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        losses.MeanSquaredError()(TARGET, backend.asarray(PREDICTION), sample_weight=np.ones(3))


def test_invalid_reduction_raises():
    with pytest.raises(ValueError, match="sum_over_batch_size"):
        losses.MeanSquaredError(reduction="average")


# --- dtypes -------------------------------------------------------------------------------------------------
def test_labels_are_cast_to_the_prediction_dtype(backend):
    y_pred = backend.asarray(PROBS.astype(np.float32))
    for y_true in (BINARY, BINARY.astype(np.int64), BINARY.astype(bool), BINARY.tolist()):
        assert to_host(losses.binary_crossentropy(y_true, y_pred)).dtype == np.float32
        assert to_host(losses.BinaryCrossentropy()(y_true, y_pred)).dtype == np.float32
    assert to_host(losses.SparseCategoricalCrossentropy()(LABELS, y_pred)).dtype == np.float32


def test_python_values_and_integer_predictions_compute_in_floatx(backend):
    assert to_host(losses.mean_squared_error([[1, 2]], [[2, 2]])).dtype == np.float32
    np.testing.assert_allclose(to_host(losses.MeanSquaredError()([[1, 2]], np.array([[2, 4]]))), 2.5)


def test_loss_dtype_argument_casts_predictions(backend, float64):
    value = losses.MeanSquaredError(dtype="float64")(TARGET, backend.asarray(PREDICTION.astype(np.float32)))
    assert to_host(value).dtype == np.float64


# --- shapes ---------------------------------------------------------------------------------------------------
def test_a_missing_trailing_axis_of_one_is_restored(backend):
    """(batch,) labels against (batch, 1) predictions, either way round, mean the same as matching shapes."""
    p = backend.asarray(PROBS[:, :1])
    expected = to_host(losses.binary_crossentropy(BINARY[:, :1], p))
    np.testing.assert_allclose(to_host(losses.binary_crossentropy(BINARY[:, 0], p)), expected, rtol=1e-6)
    flat = to_host(losses.binary_crossentropy(BINARY[:, :1], backend.asarray(PROBS[:, 0])))
    np.testing.assert_allclose(flat, expected, rtol=1e-6)
    assert expected.shape == (B,)


def test_trailing_axis_of_one_on_sequences_follows_keras(backend):
    """(batch, steps) targets against (batch, steps, 1) predictions: the predictions lose the axis."""
    value = to_host(losses.mean_squared_error(TARGET, backend.asarray(PREDICTION[..., None])))
    np.testing.assert_allclose(value, ref_mean_squared_error(TARGET, PREDICTION), rtol=1e-6)


CLASS_OF = {case.fn.__name__: case.cls for case in CASES.values() if case.fn is not losses.sparse_categorical_crossentropy}


@pytest.mark.parametrize("name", sorted(CLASS_OF))
@pytest.mark.parametrize(
    "true_shape, pred_shape", [((4, 3), (4, 5)), ((4, 1), (4, 5)), ((4,), (4, 5)), ((2, 4, 5), (4, 5))]
)
def test_shape_mismatch_names_the_loss_and_both_shapes(backend, name, true_shape, pred_shape):
    fn = getattr(losses, name)
    for call in (fn, CLASS_OF[name](), losses.LossFunctionWrapper(fn)):
        with pytest.raises(ValueError) as error:
            call(np.zeros(true_shape), backend.asarray(np.full(pred_shape, 0.5)))
        message = str(error.value)
        assert name in message and str(true_shape) in message and str(pred_shape) in message, message


def test_categorical_crossentropy_mismatch_points_to_the_sparse_loss(backend):
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.CategoricalCrossentropy()(LABELS, backend.asarray(PROBS))


@pytest.mark.parametrize("true_shape", [(4, 2), (3,), (4, 5)])
def test_sparse_labels_of_the_wrong_shape_raise(backend, true_shape):
    with pytest.raises(ValueError) as error:
        losses.SparseCategoricalCrossentropy()(np.zeros(true_shape, dtype=int), backend.asarray(PROBS))
    message = str(error.value)
    assert "sparse_categorical_crossentropy" in message and str(true_shape) in message and "(4, 5)" in message


def test_single_class_categorical_crossentropy_warns(backend):
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_crossentropy(BINARY[:, :1], backend.asarray(PROBS[:, :1]))


def test_losses_compile_under_jit(backend):
    """Every Loss class traces under the backend's jit (no host round trip on traced values)."""
    for name, case in CASES.items():
        loss = case.cls(**case.kwargs)
        eager = to_host(loss(case.y_true, backend.asarray(case.y_pred.astype(np.float32))))
        weights = np.ones(len(eager_values := case.ref(case.y_true, case.y_pred, **case.kwargs)))
        assert eager_values.ndim == 1
        compiled = backend.jit(lambda t, p: loss(t, p, sample_weight=weights))
        traced = to_host(compiled(backend.asarray(case.y_true), backend.asarray(case.y_pred.astype(np.float32))))
        np.testing.assert_allclose(traced, eager, rtol=1e-5, err_msg=name)


# --- lookup, aliases and serialization ------------------------------------------------------------------
ALIASES = {
    "mse": losses.mean_squared_error, "MSE": losses.mean_squared_error,
    "mae": losses.mean_absolute_error, "MAE": losses.mean_absolute_error,
    "mape": losses.mean_absolute_percentage_error, "MAPE": losses.mean_absolute_percentage_error,
    "msle": losses.mean_squared_logarithmic_error, "MSLE": losses.mean_squared_logarithmic_error,
    "kld": losses.kl_divergence, "KLD": losses.kl_divergence, "kl_divergence": losses.kl_divergence,
    "kullback_leibler_divergence": losses.kl_divergence, "bce": losses.binary_crossentropy,
    "BCE": losses.binary_crossentropy, "logcosh": losses.log_cosh, "huber_loss": losses.huber,
}
ALL_FUNCTIONS = sorted({case.fn.__name__ for case in CASES.values()})
ALL_CLASSES = sorted({case.cls.__name__ for case in CASES.values()})


@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_get_function_names(name):
    assert losses.get(name) is getattr(losses, name)


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_get_keras_aliases(alias):
    assert losses.get(alias) is ALIASES[alias]


@pytest.mark.parametrize("name", ALL_CLASSES)
def test_get_class_names_gives_default_instances(name):
    loss = losses.get(name)
    cls = getattr(losses, name)
    assert type(loss) is cls and loss.get_config() == cls().get_config()
    assert type(losses.get(cls)) is cls


def test_keras_default_names_and_arguments():
    assert losses.Huber().name == "huber_loss" and losses.Huber().delta == 1.0
    assert losses.MeanSquaredError().name == "mean_squared_error"
    bce = losses.BinaryCrossentropy()
    assert (bce.from_logits, bce.label_smoothing, bce.axis, bce.reduction) == (False, 0.0, -1, "sum_over_batch_size")
    assert losses.SparseCategoricalCrossentropy().ignore_class is None
    assert losses.CosineSimilarity().axis == -1
    with pytest.raises(AttributeError):
        losses.MeanSquaredError().from_logits


def test_get_passes_instances_and_callables_and_none_through():
    loss = losses.Huber(delta=2.0)

    def custom(y_true, y_pred):
        return y_pred

    assert losses.get(loss) is loss
    assert losses.get(custom) is custom
    assert losses.get(None) is None


def test_get_keras_config_dicts():
    fn = losses.get(
        {"module": "builtins", "class_name": "function", "config": "mean_squared_error", "registered_name": "function"}
    )
    assert fn is losses.mean_squared_error
    loss = losses.get(
        {"module": "keras.losses", "class_name": "CategoricalCrossentropy",
         "config": {"name": "cce", "reduction": "sum", "from_logits": True, "label_smoothing": 0.1, "axis": -1},
         "registered_name": None}
    )
    assert type(loss) is losses.CategoricalCrossentropy
    assert (loss.name, loss.reduction, loss.from_logits, loss.label_smoothing) == ("cce", "sum", True, 0.1)


ROUND_TRIP = [
    losses.MeanSquaredError(reduction="sum", name="m"),
    losses.Huber(delta=0.4, reduction=None),
    losses.CosineSimilarity(axis=0),
    losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2, reduction="mean_with_sample_weight"),
    losses.CategoricalCrossentropy(label_smoothing=0.1, axis=0, dtype="float32"),
    losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3, reduction="sum"),
    losses.LossFunctionWrapper(losses.huber, reduction="sum", delta=0.3),
]


@pytest.mark.parametrize("loss", ROUND_TRIP, ids=lambda loss: type(loss).__name__)
def test_config_round_trips(loss):
    for rebuilt in (
        type(loss).from_config(loss.get_config()),
        losses.deserialize(losses.serialize(loss)),
        losses.get(losses.serialize(loss)),
    ):
        assert type(rebuilt) is type(loss)
        assert rebuilt.get_config() == loss.get_config()
    assert losses.serialize(loss)["class_name"] == type(loss).__name__


def test_round_trip_keeps_the_arguments_that_change_the_value(backend):
    loss = losses.Huber(delta=0.1, reduction="sum")
    rebuilt = losses.deserialize(losses.serialize(loss))
    p = backend.asarray(PREDICTION)
    assert float(to_host(rebuilt(TARGET, p))) == float(to_host(loss(TARGET, p)))
    assert float(to_host(rebuilt(TARGET, p))) != float(to_host(losses.Huber(reduction="sum")(TARGET, p)))


def test_function_wrapper_config():
    wrapper = losses.LossFunctionWrapper(losses.huber, delta=0.3)
    assert wrapper.get_config()["fn"] == "huber" and wrapper.delta == 0.3 and wrapper.name == "huber"

    def custom(y_true, y_pred):
        return y_pred

    rebuilt = losses.LossFunctionWrapper.from_config(losses.LossFunctionWrapper(custom).get_config())
    assert rebuilt.fn is custom


def test_serialize_functions_and_rejects_unknown_callables():
    assert losses.serialize(losses.log_cosh) == {"class_name": "function", "config": "log_cosh"}
    assert losses.deserialize("mse") is losses.mean_squared_error
    assert losses.serialize(None) is None
    with pytest.raises(ValueError):
        losses.serialize(lambda y_true, y_pred: y_pred)


def test_unknown_name_suggests_close_matches_and_lists_valid_names():
    with pytest.raises(ValueError) as error:
        losses.get("mean_sqared_error")
    message = str(error.value)
    assert "'mean_sqared_error'" in message and "Did you mean" in message and "'mean_squared_error'" in message
    assert "huber_loss" in message and "SparseCategoricalCrossentropy" in message


@pytest.mark.parametrize("bad", [3, {"config": {}}, {"class_name": "NoSuchLoss", "config": {}}])
def test_uninterpretable_identifiers_raise(bad):
    with pytest.raises(ValueError):
        losses.get(bad)


# --- custom losses -------------------------------------------------------------------------------------------
class SquaredError(losses.Loss):
    def call(self, y_true, y_pred):
        return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


def test_custom_loss_subclass_gets_cast_labels_weights_and_reduction(backend):
    loss = SquaredError(reduction="sum")
    assert loss.name == "squared_error"
    y_pred = backend.asarray(PREDICTION.astype(np.float32))
    value = loss(np.round(TARGET).astype(int), y_pred, sample_weight=WEIGHTS["per_sample"])
    assert to_host(value).dtype == np.float32
    expected = ref_reduce(ref_mean_squared_error(np.round(TARGET), PREDICTION), WEIGHTS["per_sample"], "sum")
    np.testing.assert_allclose(float(to_host(value)), expected, rtol=1e-5)
    assert SquaredError.from_config(loss.get_config()).get_config() == loss.get_config()


def test_wrapped_sparse_function_keeps_integer_labels(backend):
    wrapped = losses.LossFunctionWrapper(losses.sparse_categorical_crossentropy, from_logits=True)
    p = backend.asarray(LOGITS)
    np.testing.assert_allclose(
        float(to_host(wrapped(LABELS, p))),
        float(to_host(losses.SparseCategoricalCrossentropy(from_logits=True)(LABELS, p))),
        rtol=1e-12,
    )


@pytest.mark.parametrize("half", ["float16", "bfloat16"])
def test_half_precision_predictions_are_computed_in_floatx(backend, half):
    """Mixed precision: a float16/bfloat16 model output gives a float32 loss (Keras' losses compute in floatx)."""
    from nnkit.dtype_policies import standardized_dtype

    y_pred = backend.asarray(np.array([[0.2, 0.8], [0.6, 0.4]], dtype=standardized_dtype(half)))
    loss = losses.CategoricalCrossentropy()(np.array([[0.0, 1.0], [1.0, 0.0]]), y_pred)
    assert str(loss.dtype) == "float32"
    assert float(to_host(loss)) == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2, rel=1e-2)
