"""The rest of Keras 3's metric catalog: loss-based means, R2Score, F-scores, IoUs and the rate-at-rate metrics.

Streaming results (several batches, sample weights) against independent float64 references (NumPy written
here, scikit-learn for R^2, F-scores and IoU) and against Keras 3 itself; then names, configs, compile()
and jax.jit.
"""
import importlib.util

import numpy as np
import pytest

import nnkit
import nnkit.metrics as metrics
from nnkit.backends import active, get_backend

RNG = np.random.default_rng(99)
N, C = 40, 4
BATCHES = (slice(0, 15), slice(15, N))

LABELS = RNG.integers(0, C, N)
ONE_HOT = np.eye(C, dtype="float32")[LABELS]
PROBS = RNG.dirichlet(np.ones(C), N).astype("float32")
SCORES = RNG.random((N, C)).astype("float32")
LOGITS = RNG.normal(size=(N, C)).astype("float32")
BINARY_TRUE = (RNG.random((N, 3)) < 0.5).astype("float32")
BINARY_PRED = RNG.random((N, 3)).astype("float32")
REG_TRUE = RNG.normal(size=(N, 3)).astype("float32")
REG_PRED = (REG_TRUE + 0.6 * RNG.normal(size=(N, 3))).astype("float32")
POS_TRUE = RNG.uniform(0.2, 3.0, (N, 3)).astype("float32")
POS_PRED = RNG.uniform(0.2, 3.0, (N, 3)).astype("float32")
SEG_TRUE = RNG.integers(0, C, (N, 5))
SEG_PRED = np.where(RNG.random((N, 5)) < 0.5, SEG_TRUE, RNG.integers(0, C, (N, 5)))
WEIGHTS = RNG.random(N).astype("float32")


def feed(metric, y_true, y_pred, sample_weight=None):
    """Update `metric` batch by batch; return its result as float64."""
    for part in BATCHES:
        metric.update_state(y_true[part], y_pred[part],
                            sample_weight=None if sample_weight is None else sample_weight[part])
    return np.asarray(metric.result(), dtype=np.float64)


def host(x):
    return np.asarray(x, dtype=np.float64)


# --- Keras 3 ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def keras():
    from layer_checks import keras_or_skip

    return keras_or_skip()


def test_cosine_similarity_matches_keras(keras):
    """Every new metric was checked against Keras 3 while it was written; this one (the metric is +cosine where the
    loss is -cosine) stays as the standing check: Keras' eager JAX metrics compile op by op, seconds each. The
    references below cover the rest independently."""
    expected = feed(keras.metrics.CosineSimilarity(), REG_TRUE, REG_PRED, WEIGHTS)
    with active.using(get_backend("numpy")):
        got = feed(metrics.CosineSimilarity(), REG_TRUE, REG_PRED, WEIGHTS)
    np.testing.assert_allclose(got, expected, rtol=2e-6)


# --- independent float64 references (NumPy backend; compile() below runs them under jax.jit) -----------------
def weighted_mean(values, weights):
    return np.sum(host(values) * weights) / np.sum(weights)


def test_loss_based_metrics_are_weighted_means_of_their_losses():
    """The loss-based metrics are the weighted mean of the per-sample values the loss functions give."""
    t, p = host(REG_TRUE), host(REG_PRED)
    cosine = np.sum(t * p, -1) / np.linalg.norm(t, axis=-1) / np.linalg.norm(p, axis=-1)
    got = feed(metrics.CosineSimilarity(), REG_TRUE, REG_PRED, WEIGHTS)
    np.testing.assert_allclose(got, weighted_mean(cosine, WEIGHTS), rtol=1e-5)
    log_cosh = np.mean(np.log(np.cosh(p - t)), -1)
    np.testing.assert_allclose(feed(metrics.LogCoshError(), REG_TRUE, REG_PRED, WEIGHTS),
                               weighted_mean(log_cosh, WEIGHTS), rtol=1e-5)
    percentage = 100 * np.mean(np.abs((t - p) / t), -1)
    np.testing.assert_allclose(feed(metrics.MeanAbsolutePercentageError(), REG_TRUE, REG_PRED),
                               np.mean(percentage), rtol=1e-5)


@pytest.mark.parametrize("aggregation, multioutput", [
    ("uniform_average", "uniform_average"), ("variance_weighted_average", "variance_weighted"),
    (None, "raw_values"),
])
def test_r2_score_matches_scikit_learn(aggregation, multioutput):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    expected = sklearn_metrics.r2_score(host(REG_TRUE), host(REG_PRED), sample_weight=host(WEIGHTS),
                                        multioutput=multioutput)
    got = feed(metrics.R2Score(class_aggregation=aggregation), REG_TRUE, REG_PRED, WEIGHTS)
    np.testing.assert_allclose(got, expected, rtol=1e-4)


def test_adjusted_r2_score():
    plain = feed(metrics.R2Score(), REG_TRUE, REG_PRED)
    values, regressors = REG_TRUE.size, 5  # Keras counts every target value as a sample
    adjusted = feed(metrics.R2Score(num_regressors=regressors), REG_TRUE, REG_PRED)
    np.testing.assert_allclose(adjusted, 1 - (1 - plain) * (values - 1) / (values - regressors - 1), rtol=1e-5)
    # More regressors than values: the adjustment is undefined and the plain score is kept.
    np.testing.assert_allclose(feed(metrics.R2Score(num_regressors=10_000), REG_TRUE, REG_PRED), plain, rtol=1e-6)


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
def test_f_scores_match_scikit_learn(average):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    predicted = (BINARY_PRED > 0.5).astype(int)
    for beta, metric in ((1.0, metrics.F1Score(average=average, threshold=0.5)),
                         (0.5, metrics.FBetaScore(average=average, beta=0.5, threshold=0.5))):
        expected = sklearn_metrics.fbeta_score(BINARY_TRUE.astype(int), predicted, beta=beta, average=average,
                                               sample_weight=host(WEIGHTS))
        np.testing.assert_allclose(feed(metric, BINARY_TRUE, BINARY_PRED, WEIGHTS), expected, rtol=1e-5)


def test_f1_without_threshold_takes_each_rows_maximum():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    expected = sklearn_metrics.f1_score(LABELS, np.argmax(SCORES, -1), average="macro")
    np.testing.assert_allclose(feed(metrics.F1Score(average="macro"), ONE_HOT, SCORES), expected, rtol=1e-5)


def test_mean_iou_matches_scikit_learn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    weights = np.repeat(WEIGHTS[:, None], 5, axis=1)  # fractional weights count exactly (Keras rounds them)
    per_class = sklearn_metrics.jaccard_score(SEG_TRUE.ravel(), SEG_PRED.ravel(), average=None,
                                              sample_weight=weights.ravel())
    got = feed(metrics.MeanIoU(num_classes=C), SEG_TRUE, SEG_PRED, weights)
    np.testing.assert_allclose(got, per_class.mean(), rtol=1e-5)
    got = feed(metrics.IoU(num_classes=C, target_class_ids=[1, 3]), SEG_TRUE, SEG_PRED, weights)
    np.testing.assert_allclose(got, per_class[[1, 3]].mean(), rtol=1e-5)


def test_iou_ignores_absent_classes_and_out_of_range_labels():
    m = metrics.MeanIoU(num_classes=3)
    m.update_state([0, 0, 1, 7], [0, 1, 1, 0])  # class 2 never occurs; label 7 is out of range
    # class 0: tp 1, union 2; class 1: tp 1, union 2.
    assert float(m.result()) == pytest.approx(0.5, rel=1e-6)


def rate_at_rate_reference(y_true, y_pred, weights, num_thresholds, constrained, dependent, value):
    """float64: the best `dependent` rate among Keras' thresholds where `constrained` reaches `value`."""
    thresholds = np.array([0.0, *[(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)], 1.0])
    above = host(y_pred).ravel()[None, :] > thresholds.astype(np.float32)[:, None]
    positive = (host(y_true).ravel() != 0)[None, :]
    w = np.ones(y_pred.size) if weights is None else np.repeat(host(weights), y_pred.shape[1])
    tp, fp = ((above & positive) * w).sum(1), ((above & ~positive) * w).sum(1)
    fn, tn = ((~above & positive) * w).sum(1), ((~above & ~positive) * w).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = {"recall": np.nan_to_num(tp / (tp + fn)), "precision": np.nan_to_num(tp / (tp + fp)),
                 "specificity": np.nan_to_num(tn / (tn + fp))}
    feasible = rates[constrained] >= value
    return max(np.max(np.where(feasible, rates[dependent], 0.0)), 0.0)


@pytest.mark.parametrize("cls, argument, constrained, dependent", [
    (metrics.PrecisionAtRecall, "recall", "recall", "precision"),
    (metrics.RecallAtPrecision, "precision", "precision", "recall"),
    (metrics.SensitivityAtSpecificity, "specificity", "specificity", "recall"),
    (metrics.SpecificityAtSensitivity, "sensitivity", "recall", "specificity"),
])
def test_rate_at_rate_metrics_match_reference(cls, argument, constrained, dependent):
    metric = cls(**{argument: 0.55}, num_thresholds=30)
    expected = rate_at_rate_reference(BINARY_TRUE, BINARY_PRED, WEIGHTS, 30, constrained, dependent, 0.55)
    np.testing.assert_allclose(feed(metric, BINARY_TRUE, BINARY_PRED, WEIGHTS), expected, rtol=1e-5)


# --- names, configs, errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, cls", [
    ("mape", metrics.MeanAbsolutePercentageError), ("msle", metrics.MeanSquaredLogarithmicError),
    ("bce", metrics.BinaryCrossentropy), ("binary_crossentropy", metrics.BinaryCrossentropy),
    ("categorical_crossentropy", metrics.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", metrics.SparseCategoricalCrossentropy),
    ("kl_divergence", metrics.KLDivergence), ("poisson", metrics.Poisson), ("hinge", metrics.Hinge),
    ("squared_hinge", metrics.SquaredHinge), ("categorical_hinge", metrics.CategoricalHinge),
    ("cosine_similarity", metrics.CosineSimilarity), ("log_cosh_error", metrics.LogCoshError),
    ("r2_score", metrics.R2Score), ("f1_score", metrics.F1Score), ("f_beta_score", metrics.FBetaScore),
    ("binary_io_u", metrics.BinaryIoU),
])
def test_get_by_keras_name(name, cls):
    assert type(metrics.get(name)) is cls


def test_function_aliases():
    assert metrics.mae is metrics.mean_absolute_error and metrics.mse is metrics.mean_squared_error
    assert metrics.mape is nnkit.losses.mean_absolute_percentage_error
    assert metrics.msle is nnkit.losses.mean_squared_logarithmic_error
    assert metrics.binary_focal_crossentropy is nnkit.losses.binary_focal_crossentropy
    assert metrics.LogCoshError().name == "logcosh" and metrics.FBetaScore().name == "fbeta_score"


ROUND_TRIP = [
    lambda: metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.2),
    lambda: metrics.SparseCategoricalCrossentropy(ignore_class=2, name="scce"),
    lambda: metrics.CosineSimilarity(axis=0), metrics.Hinge,
    lambda: metrics.R2Score(class_aggregation=None, num_regressors=3),
    lambda: metrics.FBetaScore(average="macro", beta=0.5, threshold=0.4), lambda: metrics.F1Score(average="micro"),
    lambda: metrics.IoU(num_classes=3, target_class_ids=[1], ignore_class=0, sparse_y_pred=False),
    lambda: metrics.MeanIoU(num_classes=4), lambda: metrics.BinaryIoU(target_class_ids=[1], threshold=0.3),
    lambda: metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2]), lambda: metrics.OneHotMeanIoU(num_classes=5),
    lambda: metrics.PrecisionAtRecall(0.3, num_thresholds=20, class_id=1),
    lambda: metrics.SpecificityAtSensitivity(0.8),
]


@pytest.mark.parametrize("factory", ROUND_TRIP)
def test_config_round_trip(factory):
    metric = factory()
    rebuilt = metrics.get(metrics.serialize(metric))
    assert type(rebuilt) is type(metric)
    assert rebuilt.get_config() == metric.get_config()


def test_keras_config_keys(keras):
    """The config keys Keras writes (nnkit's IoU state is float, so only the dtype value differs)."""
    pairs = [(metrics.F1Score(), keras.metrics.F1Score()), (metrics.R2Score(), keras.metrics.R2Score()),
             (metrics.MeanIoU(3), keras.metrics.MeanIoU(3)), (metrics.BinaryIoU(), keras.metrics.BinaryIoU()),
             (metrics.PrecisionAtRecall(0.5), keras.metrics.PrecisionAtRecall(0.5)),
             (metrics.CategoricalCrossentropy(), keras.metrics.CategoricalCrossentropy())]
    for mine, theirs in pairs:
        assert set(mine.get_config()) == set(theirs.get_config()), type(mine).__name__


@pytest.mark.parametrize("build, message", [
    (lambda: metrics.FBetaScore(beta=1), "beta"), (lambda: metrics.F1Score(average="samples"), "average"),
    (lambda: metrics.F1Score(threshold=1.5), "threshold"), (lambda: metrics.R2Score(class_aggregation="x"),
                                                            "class_aggregation"),
    (lambda: metrics.IoU(num_classes=2, target_class_ids=[2]), "range"),
    (lambda: metrics.PrecisionAtRecall(1.5), "recall"), (lambda: metrics.SensitivityAtSpecificity(0.5, 0),
                                                         "num_thresholds"),
])
def test_bad_arguments_raise(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_shape_dependent_metrics_reject_other_ranks():
    with pytest.raises(ValueError, match=r"f1_score.*\(2, 3, 4\)"):
        metrics.F1Score().update_state(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"r2_score.*\(5,\)"):
        metrics.R2Score().update_state(np.zeros(5), np.zeros(5))


# --- compile() and jax.jit ---------------------------------------------------------------------------------
@pytest.mark.parametrize("backend_name", ["numpy", pytest.param("jax", marks=pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="jax is not installed"))])
def test_names_in_compile_build_and_report(backend_name):
    """String names resolve, data-shaped state is built at compile, and the compiled step (jax.jit on JAX)
    reports what the metrics compute eagerly on the predictions."""
    x = RNG.normal(size=(32, 3)).astype("float32")
    y = np.eye(3, dtype="float32")[RNG.integers(0, 3, 32)]
    nnkit.set_random_seed(0)
    model = nnkit.Sequential([nnkit.layers.Input((3,)), nnkit.layers.Dense(3, activation="softmax")])
    chosen = [metrics.F1Score(average="macro"), "r2_score", "categorical_crossentropy", "kl_divergence",
              metrics.OneHotMeanIoU(num_classes=3), metrics.PrecisionAtRecall(0.5, class_id=0)]
    model.compile(optimizer="sgd", loss="categorical_crossentropy", backend=backend_name, metrics=chosen)
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    predictions = model.predict(x, verbose=0)
    with active.using(get_backend("numpy")):
        for name, metric in [("f1_score", metrics.F1Score(average="macro")), ("r2_score", metrics.R2Score()),
                             ("one_hot_mean_io_u", metrics.OneHotMeanIoU(num_classes=3)),
                             ("precision_at_recall", metrics.PrecisionAtRecall(0.5, class_id=0)),
                             ("kl_divergence", metrics.KLDivergence())]:
            np.testing.assert_allclose(logs[name], feed(metric, y, predictions), rtol=1e-4, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(logs["categorical_crossentropy"], logs["loss"], rtol=1e-5)
