"""The focal crossentropies, the overlap losses (Dice, Tversky) and CTC: float64 NumPy references written from the
Keras formulas, finite-difference gradients, optax's ctc_loss, Keras 3 itself, weights, names and configs."""
from typing import Callable, NamedTuple

import numpy as np
import pytest

import nnkit.ops as ops
from gradcheck import backend_params, check_float32, check_forward, check_gradients, check_tape_matches_jax, to_host
from nnkit import losses

EPS = 1e-7
_rng = np.random.default_rng(7)
B, C = 4, 5
BINARY = (_rng.random((B, C)) < 0.5).astype(float)
ONE_HOT = np.eye(C)[[0, 3, 2, 4]]
PROBS = _rng.uniform(0.05, 0.95, (B, C))
LOGITS = _rng.normal(0.0, 2.0, (B, C))
MASKS = (_rng.random((B, 3, 3)) < 0.5).astype(float)
MASK_PROBS = _rng.uniform(0.05, 0.95, (B, 3, 3))


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def ref_binary_focal(t, p, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                     label_smoothing=0.0):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    p = _sigmoid(p) if from_logits else p
    clipped = np.clip(p, EPS, 1 - EPS)
    bce = -(t * np.log(clipped) + (1 - t) * np.log(1 - clipped))
    p_t = t * p + (1 - t) * (1 - p)
    focal = (1 - p_t) ** gamma * bce
    if apply_class_balancing:
        focal = (t * alpha + (1 - t) * (1 - alpha)) * focal
    return focal.mean(-1)


def ref_categorical_focal(t, p, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    p = _softmax(p) if from_logits else p
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return (alpha * (1 - p) ** gamma * -t * np.log(p)).sum(-1)


def _axes(axis, ndim):
    return tuple(range(ndim)) if axis is None else axis


def ref_dice(t, p, axis=None):
    axis = _axes(axis, t.ndim)
    return 1 - 2 * (t * p).sum(axis) / (t.sum(axis) + p.sum(axis) + EPS)


def ref_tversky(t, p, alpha=0.5, beta=0.5, axis=None):
    axis = _axes(axis, t.ndim)
    tp = (t * p).sum(axis)
    return 1 - tp / (tp + alpha * (t * (1 - p)).sum(axis) + beta * ((1 - t) * p).sum(axis) + EPS)


class Case(NamedTuple):
    fn: Callable
    ref: Callable
    y_true: np.ndarray
    y_pred: np.ndarray
    kwargs: dict = {}


CASES = {
    "binary_focal": Case(losses.binary_focal_crossentropy, ref_binary_focal, BINARY, PROBS),
    "binary_focal_balanced_logits_smoothing": Case(
        losses.binary_focal_crossentropy, ref_binary_focal, BINARY, LOGITS,
        {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "from_logits": True, "label_smoothing": 0.1},
    ),
    "categorical_focal": Case(losses.categorical_focal_crossentropy, ref_categorical_focal, ONE_HOT, PROBS),
    "categorical_focal_logits_smoothing": Case(
        losses.categorical_focal_crossentropy, ref_categorical_focal, ONE_HOT, LOGITS,
        {"alpha": 0.5, "gamma": 3.0, "from_logits": True, "label_smoothing": 0.2},
    ),
    "dice": Case(losses.dice, ref_dice, MASKS, MASK_PROBS),
    "dice_per_sample": Case(losses.dice, ref_dice, MASKS, MASK_PROBS, {"axis": (1, 2)}),
    "tversky": Case(losses.tversky, ref_tversky, MASKS, MASK_PROBS, {"alpha": 0.3, "beta": 0.7, "axis": (1, 2)}),
}
# One representative of each function compiles on JAX; the keyword variants run on the tape.
ON_JAX = {"binary_focal_balanced_logits_smoothing", "categorical_focal", "tversky"}
PARAMS = backend_params(CASES, on_jax=lambda name, _: name in ON_JAX)


def _call(case):
    return lambda y_true, y_pred: case.fn(y_true, y_pred, **case.kwargs)


@pytest.mark.parametrize("backend, case", PARAMS, indirect=["backend"])
def test_function_matches_float64_reference(backend, case):
    check_forward(_call(case), lambda t, p: case.ref(t, p, **case.kwargs), case.y_true, case.y_pred)


@pytest.mark.parametrize("backend, case", PARAMS, indirect=["backend"])
def test_gradient_matches_finite_differences(backend, case):
    check_gradients(_call(case), case.y_true, case.y_pred, wrt=(1,), jit=True)


@pytest.mark.parametrize("backend, case", PARAMS, indirect=["backend"])
def test_float32_in_float32_out(backend, case):
    check_float32(_call(case), case.y_true, case.y_pred, wrt=(1,))


KERAS_CASES = {  # the references above are written from Keras' formulas; these check two against Keras itself
    "binary_focal_crossentropy": ((BINARY, LOGITS), {"from_logits": True, "apply_class_balancing": True}),
    "tversky": ((MASKS, MASK_PROBS), {"alpha": 0.2, "beta": 0.8, "axis": (1, 2)}),
}


def test_functions_match_keras():
    from layer_checks import keras_or_skip

    keras = keras_or_skip()
    for name, (arrays, kwargs) in KERAS_CASES.items():
        arrays32 = [a.astype(np.float32) for a in arrays]
        expected = np.asarray(getattr(keras.losses, name)(*arrays32, **kwargs))
        np.testing.assert_allclose(to_host(getattr(losses, name)(*arrays32, **kwargs)), expected, rtol=2e-6,
                                   atol=1e-7, err_msg=name)


# --- CTC ------------------------------------------------------------------------------------------------------
CTC_LABELS = np.array([[1, 2, 2], [3, 1, 0], [2, 0, 0], [0, 0, 0]])  # a repeat, padding, no label
CTC_LOGITS = _rng.normal(size=(4, 5, 4))


def ref_ctc(labels, logits, blank=0):
    """-log of the summed probability of every alignment, by brute-force dynamic programming in float64."""
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    losses_ = []
    for label, frame_log_probs in zip(labels, log_probs):
        label = [int(k) for k in label if k != blank]
        extended = [blank]
        for k in label:
            extended += [k, blank]
        alpha = np.full(len(extended), -np.inf)
        alpha[:2] = frame_log_probs[0, extended[:2]]
        for row in frame_log_probs[1:]:
            new = np.full_like(alpha, -np.inf)
            for s, k in enumerate(extended):
                sources = [alpha[s]] + ([alpha[s - 1]] if s >= 1 else [])
                if s >= 2 and k != blank and k != extended[s - 2]:
                    sources.append(alpha[s - 2])
                new[s] = np.logaddexp.reduce(sources) + row[k]
            alpha = new
        losses_.append(-np.logaddexp.reduce(alpha[-2:] if len(extended) > 1 else alpha[-1:]))
    return np.array(losses_)


def test_ctc_matches_float64_reference(backend):
    """Compiled on JAX (lax.scan), a loop through the ops on NumPy."""
    check_forward(backend.jit(lambda logits: losses.ctc(CTC_LABELS, logits)),
                  lambda logits: ref_ctc(CTC_LABELS, logits), CTC_LOGITS, rtol=1e-9)


def test_ctc_tape_gradient_matches_finite_differences():
    check_gradients(lambda logits: losses.ctc(CTC_LABELS, logits), CTC_LOGITS)


def test_ctc_tape_matches_jax():
    """jax.grad through lax.scan against the tape's loop: with the test above, JAX's gradient is checked too."""
    check_tape_matches_jax(lambda logits: losses.ctc(CTC_LABELS, logits), CTC_LOGITS, jit=True)


def test_ctc_matches_optax_with_frame_lengths(float64):
    optax = pytest.importorskip("optax")
    frames = np.array([5, 4, 2, 1])
    label_lengths = (CTC_LABELS != 0).sum(-1)
    frame_paddings = (np.arange(5)[None] >= frames[:, None]).astype(float)
    jax = pytest.importorskip("jax")
    expected = jax.jit(optax.ctc_loss)(CTC_LOGITS, frame_paddings, CTC_LABELS, (CTC_LABELS == 0).astype(float))
    got = ops.ctc_loss(CTC_LABELS, CTC_LOGITS, label_lengths, frames)
    np.testing.assert_allclose(to_host(got), np.asarray(expected), rtol=1e-9)


def test_ctc_class_weighs_samples_and_stays_float32():
    logits = CTC_LOGITS.astype(np.float32)
    weights = np.array([1.0, 0.5, 2.0, 0.0], np.float32)
    value = losses.CTC()(CTC_LABELS, logits, sample_weight=weights)
    assert to_host(value).dtype == np.float32
    np.testing.assert_allclose(float(to_host(value)), np.sum(ref_ctc(CTC_LABELS, CTC_LOGITS) * weights) / 4, rtol=1e-5)


def test_ctc_rejects_wrong_ranks():
    with pytest.raises(ValueError, match=r"ctc.*\(4, 5\)"):
        losses.ctc(np.zeros((4, 5)), np.zeros((4, 5)))


# --- classes, weights, names, configs -----------------------------------------------------------------
CLASSES = {
    "binary_focal_crossentropy": (losses.BinaryFocalCrossentropy, {"apply_class_balancing": True, "gamma": 1.5}),
    "categorical_focal_crossentropy": (losses.CategoricalFocalCrossentropy, {"alpha": 0.5, "label_smoothing": 0.1}),
    "dice": (losses.Dice, {"axis": (1, 2)}),
    "tversky": (losses.Tversky, {"alpha": 0.3, "beta": 0.7, "axis": (1, 2)}),
    "ctc": (losses.CTC, {}),
}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_class_is_the_weighted_mean_of_the_function(name):
    cls, kwargs = CLASSES[name]
    y_true, y_pred = {
        "binary_focal_crossentropy": (BINARY, PROBS), "categorical_focal_crossentropy": (ONE_HOT, PROBS),
        "ctc": (CTC_LABELS, CTC_LOGITS),
    }.get(name, (MASKS, MASK_PROBS))
    weights = np.array([0.2, 1.0, 0.0, 3.0])
    per_sample = to_host(getattr(losses, name)(y_true, y_pred, **kwargs))
    got = float(to_host(cls(**kwargs)(y_true, y_pred, sample_weight=weights)))
    np.testing.assert_allclose(got, np.sum(per_sample * weights) / len(weights), rtol=1e-12)
    assert cls().name == name and losses.get(name) is getattr(losses, name)
    assert type(losses.get(cls.__name__)) is cls


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_config_round_trips(name):
    cls, kwargs = CLASSES[name]
    loss = cls(reduction="sum", **kwargs)
    rebuilt = losses.deserialize(losses.serialize(loss))
    assert type(rebuilt) is cls and rebuilt.get_config() == loss.get_config()
    assert {"name", "reduction", "dtype", *kwargs} <= set(loss.get_config())


def test_keras_defaults():
    focal = losses.BinaryFocalCrossentropy()
    assert (focal.apply_class_balancing, focal.alpha, focal.gamma, focal.from_logits) == (False, 0.25, 2.0, False)
    assert (losses.Tversky().alpha, losses.Tversky().beta, losses.Dice().axis) == (0.5, 0.5, None)
    assert losses.CategoricalFocalCrossentropy().get_config()["alpha"] == 0.25


def test_short_function_aliases():
    assert losses.mse is losses.mean_squared_error and losses.mae is losses.mean_absolute_error
    assert losses.mape is losses.mean_absolute_percentage_error and losses.msle is losses.mean_squared_logarithmic_error
    assert losses.kld is losses.kl_divergence and losses.logcosh is losses.log_cosh


def test_ctc_trains_through_compile_on_numpy():
    """A tiny model fits with loss='ctc' (integer labels reach the loss uncast)."""
    import nnkit

    x = _rng.normal(size=(8, 6, 3)).astype(np.float32)
    y = np.array([[1, 2, 0]] * 4 + [[2, 0, 0]] * 4)
    model = nnkit.Sequential([nnkit.layers.Input((6, 3)), nnkit.layers.Dense(4)])
    model.compile(optimizer=nnkit.optimizers.Adam(0.05), loss="ctc", backend="numpy")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
