"""nnkit.metrics against float64 NumPy references written here, on every installed backend.

Each streaming test feeds the data in several batches and compares with the reference over all of it,
so it checks the accumulation as well as the per-batch formula.
"""
import importlib.util

import numpy as np
import pytest

import nnkit.metrics as metrics
from nnkit.backends import active, get_backend

RNG = np.random.default_rng(1234)
N, C = 60, 5
BATCHES = (slice(0, 17), slice(17, 40), slice(40, N))

LABELS = RNG.integers(0, C, N)
ONE_HOT = np.eye(C, dtype="float32")[LABELS]
SCORES = RNG.random((N, C)).astype("float32")  # continuous, so no ties
BINARY_TRUE = RNG.integers(0, 2, N).astype("float32")
BINARY_PRED = RNG.random((N, 1)).astype("float32")
MULTI_TRUE = RNG.integers(0, 2, (N, C)).astype("float32")
REG_TRUE = RNG.normal(size=(N, 3)).astype("float32")
REG_PRED = RNG.normal(size=(N, 3)).astype("float32")
WEIGHTS = RNG.random(N).astype("float32")
EXACT_TRUE = RNG.integers(0, 3, N)
EXACT_PRED = RNG.integers(0, 3, N)


def host(x):
    return np.asarray(x, dtype=np.float64)


def feed(metric, y_true, y_pred, sample_weight=None):
    """Update `metric` batch by batch; return its result as float64."""
    for part in BATCHES:
        weight = None if sample_weight is None else sample_weight[part]
        metric.update_state(y_true[part], y_pred[part], sample_weight=weight)
    return host(metric.result())


def weighted_mean(values, weights=None):
    weights = np.ones(len(values)) if weights is None else host(weights)
    return np.sum(host(values) * weights) / np.sum(weights)


def top_k_hits(labels, scores, k):
    """Reference: whether each label is among the k highest scores (scores have no ties)."""
    top = np.argsort(-host(scores), axis=-1)[:, :k]
    return np.array([label in row for label, row in zip(labels, top)], dtype=np.float64)


# --- the mean-of-per-sample-values metrics ---------------------------------------------------------
# (factory, y_true, y_pred, float64 per-sample reference values)
PER_SAMPLE_CASES = {
    "accuracy": (metrics.Accuracy, EXACT_TRUE, EXACT_PRED, EXACT_TRUE == EXACT_PRED),
    "binary": (metrics.BinaryAccuracy, BINARY_TRUE, BINARY_PRED, (BINARY_PRED[:, 0] > 0.5) == BINARY_TRUE),
    "binary_threshold": (
        lambda: metrics.BinaryAccuracy(threshold=0.3), BINARY_TRUE[:, None], BINARY_PRED[:, 0],
        (BINARY_PRED[:, 0] > 0.3) == BINARY_TRUE,
    ),
    "categorical": (metrics.CategoricalAccuracy, ONE_HOT, SCORES, np.argmax(SCORES, -1) == LABELS),
    "sparse": (metrics.SparseCategoricalAccuracy, LABELS, SCORES, np.argmax(SCORES, -1) == LABELS),
    "sparse_trailing_1": (
        metrics.SparseCategoricalAccuracy, LABELS[:, None].astype("float32"), SCORES,
        np.argmax(SCORES, -1) == LABELS,
    ),
    "top_k": (lambda: metrics.TopKCategoricalAccuracy(k=2), ONE_HOT, SCORES, top_k_hits(LABELS, SCORES, 2)),
    "sparse_top_k": (
        lambda: metrics.SparseTopKCategoricalAccuracy(k=3), LABELS, SCORES, top_k_hits(LABELS, SCORES, 3),
    ),
    "sparse_top_k_default_5_of_5": (metrics.SparseTopKCategoricalAccuracy, LABELS, SCORES, np.ones(N)),
    "mse": (metrics.MeanSquaredError, REG_TRUE, REG_PRED, np.mean((host(REG_TRUE) - host(REG_PRED)) ** 2, -1)),
    "mae": (metrics.MeanAbsoluteError, REG_TRUE, REG_PRED, np.mean(np.abs(host(REG_TRUE) - host(REG_PRED)), -1)),
}


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", sorted(PER_SAMPLE_CASES))
def test_per_sample_metrics_match_reference(backend, case, weighted):
    factory, y_true, y_pred, reference = PER_SAMPLE_CASES[case]
    weights = WEIGHTS if weighted else None
    got = feed(factory(), y_true, y_pred, weights)
    assert got.shape == ()
    np.testing.assert_allclose(got, weighted_mean(reference, weights), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_root_mean_squared_error(backend, weighted):
    weights = WEIGHTS if weighted else None
    per_sample = np.mean((host(REG_TRUE) - host(REG_PRED)) ** 2, -1)
    got = feed(metrics.RootMeanSquaredError(), REG_TRUE, REG_PRED, weights)
    np.testing.assert_allclose(got, np.sqrt(weighted_mean(per_sample, weights)), rtol=1e-5)


def test_keras_documented_examples(backend):
    """The values in Keras' own docstrings."""
    m = metrics.BinaryAccuracy()
    assert float(m([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])) == pytest.approx(0.75)
    m.reset_state()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1])
    assert float(m.result()) == pytest.approx(0.5)
    m = metrics.CategoricalAccuracy()
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    assert float(m.result()) == pytest.approx(0.3)
    m = metrics.SparseCategoricalAccuracy()
    assert float(m([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])) == pytest.approx(0.5)
    m = metrics.Accuracy()
    assert float(m([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])) == pytest.approx(0.5)
    m = metrics.MeanAbsoluteError()
    assert float(m([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])) == pytest.approx(0.5)
    m = metrics.RootMeanSquaredError()
    assert float(m([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])) == pytest.approx(0.70710677)


def test_top_k_ties_count_for_the_label(backend):
    """Keras' in_top_k: a label whose score ties the k-th largest is a hit."""
    m = metrics.SparseTopKCategoricalAccuracy(k=1)
    assert float(m([1, 2], [[0.5, 0.5, 0.2], [0.4, 0.1, 0.3]])) == pytest.approx(0.5)


def test_sequence_targets_reduce_per_sample(backend):
    """Per-timestep values are averaged per sample before weighting, as Keras' Mean does."""
    labels = RNG.integers(0, C, (N, 4))
    scores = RNG.random((N, 4, C)).astype("float32")
    hits = (np.argmax(scores, -1) == labels).astype(np.float64)
    time_weights = RNG.random((N, 4)).astype("float32")
    got = feed(metrics.SparseCategoricalAccuracy(), labels, scores, time_weights)
    per_sample = np.mean(hits * time_weights, axis=1)
    expected = per_sample.sum() / np.mean(host(time_weights), axis=1).sum()
    np.testing.assert_allclose(got, expected, rtol=1e-5)


# --- Mean, Sum, MeanMetricWrapper -------------------------------------------------------------------
@pytest.mark.parametrize(
    "values, weights",
    [
        (RNG.random((6, 3)), None),
        (RNG.random((6, 3)), RNG.random(6)),
        (RNG.random((6, 3)), RNG.random((6, 3))),
        (RNG.random((6, 3, 2)), RNG.random((6, 3))),
        (RNG.random(6), RNG.random((6, 1))),
    ],
    ids=["no_weights", "per_sample", "per_element", "leading_axes", "trailing_1"],
)
def test_mean_and_sum_weighting(backend, values, weights):
    values = host(values)
    if weights is None:
        samplewise, sample_w = values.reshape(len(values), -1).mean(1), np.ones(len(values))
        total = values.reshape(len(values), -1).sum(1).sum()
    else:
        w = host(weights).reshape(weights.shape[0], -1) if weights.ndim > 1 else host(weights)[:, None]
        v = values.reshape(values.shape[0], w.shape[1], -1) if values.ndim > 1 else values[:, None, None]
        samplewise = (v.mean(-1) * w).mean(1)
        sample_w = w.mean(1)
        total = (v.sum(-1) * w).sum()
    mean, total_metric = metrics.Mean(), metrics.Sum()
    for _ in range(2):
        mean.update_state(values, sample_weight=weights)
        total_metric.update_state(values, sample_weight=weights)
    np.testing.assert_allclose(host(mean.result()), samplewise.sum() / sample_w.sum(), rtol=1e-5)
    np.testing.assert_allclose(host(total_metric.result()), 2 * total, rtol=1e-5)


def test_mean_of_scalars_weighted_by_batch_size(backend):
    """How the model's loss tracker uses Mean: one scalar per batch, weighted by the batch size."""
    m = metrics.Mean(name="loss")
    for loss, size in [(2.0, 32), (1.0, 32), (4.0, 8)]:
        m.update_state(loss, sample_weight=size)
    assert float(m.result()) == pytest.approx((64 + 32 + 32) / 72)
    assert float(metrics.Mean().result()) == 0.0


def test_a_constant_weight_weighs_the_mean_of_the_values_it_comes_with(backend):
    """Keras' rule: values are first reduced to the weight's rank, so a scalar weight counts once per call."""
    m = metrics.Mean()
    m.update_state([1.0, 2.0, 6.0], sample_weight=2)
    m.update_state(5.0, sample_weight=3)
    assert float(m.result()) == pytest.approx((2 * 3 + 3 * 5) / (2 + 3))
    assert [np.dtype(v.dtype) for v in m.variables] == [np.float32, np.float32]


def test_mean_metric_wrapper_passes_keyword_arguments(backend):
    def scaled_error(y_true, y_pred, scale):
        return metrics.mean_absolute_error(y_true, y_pred) * scale

    m = metrics.MeanMetricWrapper(scaled_error, scale=3.0)
    assert m.name == "scaled_error"
    got = feed(m, REG_TRUE, REG_PRED, WEIGHTS)
    reference = 3 * np.mean(np.abs(host(REG_TRUE) - host(REG_PRED)), -1)
    np.testing.assert_allclose(got, weighted_mean(reference, WEIGHTS), rtol=1e-5)


# --- state: reset, dtype, variables -------------------------------------------------------------------
@pytest.mark.parametrize(
    "factory",
    [metrics.CategoricalAccuracy, metrics.Precision, metrics.AUC, metrics.RootMeanSquaredError, metrics.Sum],
)
def test_reset_state_forgets_everything(backend, factory):
    m = factory()
    data = {
        metrics.CategoricalAccuracy: (ONE_HOT, SCORES),
        metrics.Precision: (BINARY_TRUE, BINARY_PRED),
        metrics.AUC: (BINARY_TRUE, BINARY_PRED),
        metrics.RootMeanSquaredError: (REG_TRUE, REG_PRED),
        metrics.Sum: (REG_TRUE,),
    }[factory]
    m.update_state(*(d[:30] for d in data))
    first_only = host(m.result())
    m.update_state(*(d[30:] for d in data))
    m.reset_state()
    assert all(np.all(v.numpy() == 0) for v in m.variables)
    m.update_state(*(d[:30] for d in data))
    np.testing.assert_allclose(host(m.result()), first_only, rtol=1e-6)


def test_variables_live_on_the_active_backend(backend):
    m = metrics.AUC(num_thresholds=11)
    assert [v.name for v in m.variables] == ["true_positives", "false_positives", "true_negatives", "false_negatives"]
    m.update_state(BINARY_TRUE, BINARY_PRED)
    for variable in m.variables:
        assert not variable.trainable
        assert variable.backend is backend
        assert backend.is_array(variable.value)
        assert variable.shape == (11,) and variable.dtype == np.float32


def test_state_keeps_its_dtype_for_float64_inputs(backend):
    m = metrics.MeanSquaredError()
    m.update_state(host(REG_TRUE), host(REG_PRED))
    assert all(v.dtype == np.float32 and backend.is_array(v.value) for v in m.variables)


def test_add_variable_initial_value_and_reset(backend):
    class Product(metrics.Metric):
        """A custom metric: the running product of the values."""

        def __init__(self, name="product"):
            super().__init__(name=name)
            self.product = self.add_variable((), initializer=np.array(1.0), name="product")

        def update_state(self, values):
            import nnkit.ops as ops

            self.product.assign(ops.multiply(self.product, ops.prod(ops.convert_to_tensor(values))))

        def result(self):
            return self.product.value

    m = Product()
    m.update_state(np.array([2.0, 3.0], dtype="float32"))
    assert float(m.result()) == 6.0
    m.reset_state()
    assert float(m.result()) == 1.0
    assert m.variables[0].path == "product/product"
    with pytest.raises(ValueError, match="shape"):
        m.add_variable((2,), initializer=np.zeros(3), name="bad")


# --- Precision, Recall, confusion counts ------------------------------------------------------------------
def confusion_reference(y_true, y_pred, thresholds, weights=None):
    """float64 (tp, fp, tn, fn) per threshold over flattened data: positive means y_pred > threshold."""
    y_true, y_pred = host(y_true).ravel(), host(y_pred).ravel()
    weights = np.ones_like(y_pred) if weights is None else host(weights).ravel()
    above = y_pred[None, :] > np.asarray(thresholds, np.float32)[:, None]
    is_pos = (y_true != 0)[None, :]
    cell = lambda mask: np.sum(mask * weights[None, :], axis=1)  # noqa: E731
    return cell(above & is_pos), cell(above & ~is_pos), cell(~above & ~is_pos), cell(~above & is_pos)


def top_k_filter_reference(scores, k):
    """Scores outside each row's k highest pushed below every threshold."""
    keep = np.zeros(scores.shape, bool)
    np.put_along_axis(keep, np.argsort(-host(scores), axis=-1)[:, :k], True, axis=-1)
    return np.where(keep, host(scores), -1e10)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(
    "kwargs", [{}, {"thresholds": [0.2, 0.5, 0.9]}, {"top_k": 2}, {"class_id": 3}, {"top_k": 2, "class_id": 1}],
    ids=["default", "thresholds", "top_k", "class_id", "top_k_class_id"],
)
def test_precision_and_recall_match_reference(backend, kwargs, weighted):
    y_true, y_pred = MULTI_TRUE, SCORES
    weights = np.repeat(WEIGHTS[:, None], C, axis=1) if weighted else None
    ref_pred, ref_true, ref_w = host(y_pred), host(y_true), weights
    if "top_k" in kwargs:
        ref_pred = top_k_filter_reference(y_pred, kwargs["top_k"])
    if "class_id" in kwargs:
        k = kwargs["class_id"]
        ref_pred, ref_true = ref_pred[:, k], ref_true[:, k]
        ref_w = None if weights is None else weights[:, k]
    thresholds = kwargs.get("thresholds", [0.5] if "top_k" not in kwargs else [-1e10])
    tp, fp, _, fn = confusion_reference(ref_true, ref_pred, thresholds, ref_w)
    sample_weight = WEIGHTS if weighted else None
    precision = feed(metrics.Precision(**kwargs), y_true, y_pred, sample_weight)
    recall = feed(metrics.Recall(**kwargs), y_true, y_pred, sample_weight)
    expected_shape = (len(thresholds),) if len(thresholds) > 1 else ()
    assert precision.shape == recall.shape == expected_shape
    np.testing.assert_allclose(precision, np.squeeze(tp / (tp + fp)), rtol=1e-5)
    np.testing.assert_allclose(recall, np.squeeze(tp / (tp + fn)), rtol=1e-5)


def test_confusion_counts_match_reference(backend):
    thresholds = [0.25, 0.75]
    expected = confusion_reference(MULTI_TRUE, SCORES, thresholds, np.repeat(WEIGHTS[:, None], C, axis=1))
    classes = [metrics.TruePositives, metrics.FalsePositives, metrics.TrueNegatives, metrics.FalseNegatives]
    for cls, reference in zip(classes, expected):
        got = feed(cls(thresholds=thresholds), MULTI_TRUE, SCORES, WEIGHTS)
        np.testing.assert_allclose(got, reference, rtol=1e-5)
    assert float(metrics.TruePositives()([0, 1, 1, 1], [0.9, 0.2, 0.6, 0.8])) == 2.0


def test_precision_of_nothing_predicted_is_zero(backend):
    assert float(metrics.Precision()([1, 0], [0.1, 0.2])) == 0.0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])


# --- AUC -------------------------------------------------------------------------------------------------------
def exact_roc_auc(y_true, scores, weights=None):
    """Trapezoid area under the exact ROC curve (every distinct score is a threshold)."""
    weights = np.ones(len(scores)) if weights is None else host(weights)
    order = np.argsort(-host(scores), kind="stable")
    y, s, w = host(y_true)[order], host(scores)[order], weights[order]
    last_of_each_score = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    tps = np.r_[0.0, np.cumsum(y * w)[last_of_each_score]]
    fps = np.r_[0.0, np.cumsum((1 - y) * w)[last_of_each_score]]
    return np.trapezoid(tps / tps[-1], fps / fps[-1])


def discretised_counts(y_true, scores, num_thresholds, weights=None):
    """(tp, fp, tn, fn) at Keras' AUC thresholds: -eps, i/(T-1) for 0 < i < T-1, 1+eps (in float32)."""
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    thresholds = np.array([-1e-7, *inner, 1 + 1e-7], dtype=np.float32)
    return confusion_reference(y_true, np.clip(scores, 0, 1).astype(np.float32), thresholds, weights)


AUC_SCORES = RNG.random(400).astype("float32")
AUC_TRUE = (RNG.random(400) < AUC_SCORES).astype("float32")  # informative but imperfect scores
AUC_WEIGHTS = RNG.random(400).astype("float32")
AUC_BATCHES = (slice(0, 150), slice(150, 260), slice(260, 400))


def feed_auc(metric, y_true=AUC_TRUE, scores=AUC_SCORES, weights=None):
    for part in AUC_BATCHES:
        metric.update_state(y_true[part], scores[part], sample_weight=None if weights is None else weights[part])
    return host(metric.result())


def test_auc_small_known_cases(backend):
    """Three thresholds (-eps, 0.5, 1+eps): tp=[2,1,0], fp=[2,0,0], fn=[0,1,2], tn=[0,2,2]."""
    y_true, y_pred = [0, 0, 1, 1], [0, 0.5, 0.3, 0.9]
    # ROC points (fpr, tpr): (1, 1), (0, 1/2), (0, 0): trapezoids (1 - 0) * (1 + 1/2) / 2.
    assert float(metrics.AUC(num_thresholds=3)(y_true, y_pred)) == pytest.approx(0.75)
    # Weighted [1, 2, 3, 4]: tp=[7,4,0], fp=[3,0,0] -> tpr (1, 4/7, 0), fpr (1, 0, 0).
    weighted = metrics.AUC(num_thresholds=3)(y_true, y_pred, sample_weight=[1, 2, 3, 4])
    assert float(weighted) == pytest.approx((1 + 4 / 7) / 2, rel=1e-6)
    # PR interpolation: interval (P 4->1, TP 2->1) gives (1 + (2/3) ln 4) / 6, interval (P 1->0) gives 1/2.
    pr = metrics.AUC(num_thresholds=3, curve="PR")(y_true, y_pred)
    assert float(pr) == pytest.approx(0.5 + (1 + 2 / 3 * np.log(4)) / 6, rel=1e-6)
    # Keras' docstring example and perfect predictions.
    assert float(metrics.AUC(num_thresholds=3)([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])) == 1.0
    assert float(metrics.AUC()(y_true, y_true)) == pytest.approx(1.0)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_roc_auc_approximates_the_exact_area(backend, weighted):
    weights = AUC_WEIGHTS if weighted else None
    got = feed_auc(metrics.AUC(), weights=weights)
    # 200 evenly spaced thresholds: pairs sharing a bucket count 1/2, so the error is below ~1/(2*199).
    assert abs(got - exact_roc_auc(AUC_TRUE, AUC_SCORES, weights)) < 3e-3
    tp, fp, tn, fn = discretised_counts(AUC_TRUE, AUC_SCORES, 200, weights)
    tpr, fpr = tp / (tp + fn), fp / (fp + tn)
    trapezoids = np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2)
    np.testing.assert_allclose(got, trapezoids, rtol=1e-5)


def test_roc_auc_summation_methods_bracket_the_interpolation(backend):
    tp, fp, tn, fn = discretised_counts(AUC_TRUE, AUC_SCORES, 50)
    tpr, fpr = tp / (tp + fn), fp / (fp + tn)
    width = fpr[:-1] - fpr[1:]
    low = feed_auc(metrics.AUC(num_thresholds=50, summation_method="minoring"))
    mid = feed_auc(metrics.AUC(num_thresholds=50))
    high = feed_auc(metrics.AUC(num_thresholds=50, summation_method="majoring"))
    np.testing.assert_allclose(low, np.sum(width * np.minimum(tpr[:-1], tpr[1:])), rtol=1e-5)
    np.testing.assert_allclose(high, np.sum(width * np.maximum(tpr[:-1], tpr[1:])), rtol=1e-5)
    assert low < mid < high


def test_pr_auc_interpolation_integrates_linear_counts(backend):
    """Against numerical quadrature: within each interval TP and P = TP + FP vary linearly."""
    tp, fp, _, fn = discretised_counts(AUC_TRUE, AUC_SCORES, 40)
    predicted, total_positive = tp + fp, tp[0] + fn[0]
    u = (np.arange(4000) + 0.5) / 4000
    area = 0.0
    for i in range(len(tp) - 1):
        tp_u = tp[i + 1] + u * (tp[i] - tp[i + 1])
        p_u = predicted[i + 1] + u * (predicted[i] - predicted[i + 1])
        area += np.mean(np.where(p_u > 0, tp_u / np.where(p_u > 0, p_u, 1), 0)) * (tp[i] - tp[i + 1])
    got = feed_auc(metrics.AUC(num_thresholds=40, curve="PR"))
    np.testing.assert_allclose(got, area / total_positive, rtol=1e-4)
    recall, precision = tp / (tp + fn), np.where(predicted > 0, tp / np.where(predicted > 0, predicted, 1), 0)
    riemann = feed_auc(metrics.AUC(num_thresholds=40, curve="PR", summation_method="majoring"))
    np.testing.assert_allclose(riemann, np.sum((recall[:-1] - recall[1:]) * np.maximum(precision[:-1], precision[1:])),
                               rtol=1e-5)


def test_auc_from_logits_and_custom_thresholds(backend):
    logits = np.log(AUC_SCORES / (1 - AUC_SCORES)).astype("float32")
    np.testing.assert_allclose(
        feed_auc(metrics.AUC(from_logits=True), scores=logits), feed_auc(metrics.AUC()), atol=2e-3
    )
    m = metrics.AUC(thresholds=[0.5, 0.25, 0.75], num_thresholds=None)
    assert m.num_thresholds == 5 and m.thresholds[1:-1] == [0.25, 0.5, 0.75]
    np.testing.assert_allclose(feed_auc(m), feed_auc(metrics.AUC(num_thresholds=5)), rtol=1e-6)


def test_multi_label_auc_averages_label_aucs(backend):
    scores = RNG.random((300, 3)).astype("float32")
    labels = (RNG.random((300, 3)) < scores).astype("float32")
    m = metrics.AUC(multi_label=True, num_labels=3)
    m.update_state(labels[:100], scores[:100])
    m.update_state(labels[100:], scores[100:])
    per_label = [exact_roc_auc(labels[:, j], scores[:, j]) for j in range(3)]
    assert abs(float(m.result()) - np.mean(per_label)) < 3e-3
    assert m.variables[0].shape == (200, 3)
    weighted = metrics.AUC(multi_label=True, num_labels=3, label_weights=[1, 0, 3])(labels, scores)
    assert abs(float(weighted) - (per_label[0] + 3 * per_label[2]) / 4) < 3e-3
    with pytest.raises(ValueError, match="num_labels"):
        metrics.AUC(multi_label=True)


def test_auc_rejects_bad_arguments(backend):
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match="summation_method"):
        metrics.AUC(summation_method="trapezoid")
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)


# --- shapes ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "factory, y_true, y_pred, label",
    [
        (metrics.CategoricalAccuracy, np.zeros((4, 3)), np.zeros((4, 5)), "categorical_accuracy"),
        (metrics.SparseCategoricalAccuracy, np.zeros((4, 2)), np.zeros((4, 3)), "sparse_categorical_accuracy"),
        (metrics.SparseTopKCategoricalAccuracy, np.zeros((5,)), np.zeros((4, 3)), "sparse_top_k"),
        (metrics.MeanSquaredError, np.zeros((4,)), np.zeros((4, 3)), "mean_squared_error"),
        (metrics.BinaryAccuracy, np.zeros((4, 2)), np.zeros((4, 3)), "binary_accuracy"),
        (metrics.RootMeanSquaredError, np.zeros((4, 2)), np.zeros((4,)), "root_mean_squared_error"),
        (metrics.Precision, np.zeros((4, 2)), np.zeros((4, 3)), "precision"),
        (metrics.AUC, np.zeros((3,)), np.zeros((4,)), "auc"),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_mismatched_shapes_name_the_metric_and_both_shapes(backend, factory, y_true, y_pred, label):
    with pytest.raises(ValueError) as error:
        factory().update_state(y_true, y_pred)
    message = str(error.value)
    assert label in message
    assert str(y_true.shape) in message and str(y_pred.shape) in message


def test_shape_error_names_a_renamed_metric(backend):
    metric = metrics.resolve_accuracy("acc", (None, 3), (None, 5))
    with pytest.raises(ValueError, match=r"Metric 'acc'.*\(4, 3\).*\(4, 5\)"):
        metric.update_state(np.zeros((4, 3)), np.zeros((4, 5)))


def test_trailing_one_and_missing_axis_are_accepted(backend):
    y_pred = np.array([[0.9], [0.2], [0.7]], dtype="float32")
    for y_true in ([1, 0, 0], [[1], [0], [0]]):
        assert float(metrics.BinaryAccuracy()(y_true, y_pred)) == pytest.approx(2 / 3)
        assert float(metrics.BinaryAccuracy()(y_true, y_pred[:, 0])) == pytest.approx(2 / 3)


# --- resolve_accuracy ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape, loss, expected",
    [
        ((None, 1), (None, 1), None, metrics.BinaryAccuracy),
        ((None,), (None, 1), None, metrics.BinaryAccuracy),
        ((None, 5), (None, 5), "binary_crossentropy", metrics.BinaryAccuracy),
        ((None, 5), (None, 5), "bce", metrics.BinaryAccuracy),
        ((None,), (None, 5), None, metrics.SparseCategoricalAccuracy),
        ((None, 1), (None, 5), None, metrics.SparseCategoricalAccuracy),
        ((None, 7), (None, 7, 5), "sparse_categorical_crossentropy", metrics.SparseCategoricalAccuracy),
        ((None, 5), (None, 5), None, metrics.CategoricalAccuracy),
        ((None, 5), (None, 5), "categorical_crossentropy", metrics.CategoricalAccuracy),
    ],
)
def test_resolve_accuracy(y_true_shape, y_pred_shape, loss, expected):
    for name in ("accuracy", "acc"):
        metric = metrics.resolve_accuracy(name, y_true_shape, y_pred_shape, loss=loss)
        assert type(metric) is expected
        assert metric.name == name


def test_resolve_accuracy_recognises_binary_crossentropy_objects():
    def binary_crossentropy(y_true, y_pred):
        return y_pred

    class BinaryCrossentropy:
        pass

    class LossFunctionWrapper:
        fn = staticmethod(binary_crossentropy)

    for loss in (binary_crossentropy, BinaryCrossentropy, BinaryCrossentropy(), LossFunctionWrapper(),
                 "BinaryCrossentropy"):
        assert type(metrics.resolve_accuracy("acc", (None, 4), (None, 4), loss=loss)) is metrics.BinaryAccuracy
    with pytest.raises(ValueError, match="accuracy"):
        metrics.resolve_accuracy("auc", (None, 1), (None, 1))


# --- get, serialize, configs --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, cls",
    [
        ("binary_accuracy", metrics.BinaryAccuracy), ("BinaryAccuracy", metrics.BinaryAccuracy),
        ("accuracy", metrics.Accuracy), ("categorical_accuracy", metrics.CategoricalAccuracy),
        ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
        ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
        ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
        ("mse", metrics.MeanSquaredError), ("MSE", metrics.MeanSquaredError),
        ("mean_squared_error", metrics.MeanSquaredError), ("mae", metrics.MeanAbsoluteError),
        ("root_mean_squared_error", metrics.RootMeanSquaredError), ("auc", metrics.AUC), ("AUC", metrics.AUC),
        ("precision", metrics.Precision), ("recall", metrics.Recall), ("true_positives", metrics.TruePositives),
        ("mean", metrics.Mean), ("sum", metrics.Sum),
    ],
)
def test_get_by_name(backend, name, cls):
    metric = metrics.get(name)
    assert type(metric) is cls


def test_get_by_instance_class_function_and_config(backend):
    metric = metrics.Recall(thresholds=0.3)
    assert metrics.get(metric) is metric
    assert metrics.get(None) is None
    assert type(metrics.get(metrics.AUC)) is metrics.AUC
    wrapped = metrics.get(metrics.top_k_categorical_accuracy)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "top_k_categorical_accuracy"
    np.testing.assert_allclose(feed(wrapped, ONE_HOT, SCORES), np.mean(top_k_hits(LABELS, SCORES, 5)))
    rebuilt = metrics.get({"class_name": "BinaryAccuracy", "config": {"name": "b", "threshold": 0.3}})
    assert (type(rebuilt), rebuilt.name, rebuilt.threshold) == (metrics.BinaryAccuracy, "b", 0.3)


@pytest.mark.parametrize(
    "factory",
    [
        lambda: metrics.BinaryAccuracy(name="bin", threshold=0.3), lambda: metrics.SparseTopKCategoricalAccuracy(k=2),
        lambda: metrics.Precision(thresholds=[0.2, 0.6], name="p"), lambda: metrics.Recall(top_k=2, class_id=1),
        lambda: metrics.AUC(num_thresholds=20, curve="PR", summation_method="majoring", from_logits=True),
        lambda: metrics.AUC(thresholds=[0.3, 0.5]),
        lambda: metrics.MeanMetricWrapper(metrics.binary_accuracy, threshold=0.7),
        lambda: metrics.RootMeanSquaredError(dtype="float64"), lambda: metrics.FalseNegatives(thresholds=[0.1, 0.9]),
    ],
)
def test_config_round_trip(factory):
    metric = factory()
    config = metrics.serialize(metric)
    rebuilt = metrics.get(config)
    assert type(rebuilt) is type(metric)
    assert rebuilt.get_config() == metric.get_config()
    assert type(metric).from_config(metric.get_config()).get_config() == metric.get_config()


def test_misspelt_keyword_suggests_the_right_one():
    with pytest.raises(TypeError, match="Did you mean 'num_thresholds'"):
        metrics.AUC(num_threshold=10)
    with pytest.raises(TypeError, match="Did you mean 'threshold'"):
        metrics.BinaryAccuracy(treshold=0.3)


def test_get_rejects_unknown_identifiers():
    with pytest.raises(ValueError, match="binary_accuracy"):
        metrics.get("binary_acuracy")
    with pytest.raises(ValueError, match="Unknown metric 'acc'"):
        metrics.get("acc")  # Keras resolves 'acc' only inside compile(); see resolve_accuracy
    with pytest.raises(ValueError, match="Unknown metric 'Nope'"):
        metrics.get({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="interpret"):
        metrics.get(42)


# --- the model's stateless protocol, and jax.jit -------------------------------------------------------------
STATELESS_CASES = {
    "binary": (metrics.BinaryAccuracy, BINARY_TRUE, BINARY_PRED),
    "sparse": (metrics.SparseCategoricalAccuracy, LABELS, SCORES),
    "sparse_top_k": (lambda: metrics.SparseTopKCategoricalAccuracy(k=2), LABELS, SCORES),
    "rmse": (metrics.RootMeanSquaredError, REG_TRUE, REG_PRED),
    "precision_top_k": (lambda: metrics.Precision(top_k=2), MULTI_TRUE, SCORES),
    "recall_thresholds": (lambda: metrics.Recall(thresholds=[0.3, 0.7]), MULTI_TRUE, SCORES),
    "auc": (metrics.AUC, BINARY_TRUE, BINARY_PRED),
    "auc_pr_multi_label": (lambda: metrics.AUC(curve="PR", multi_label=True, num_labels=C), MULTI_TRUE, SCORES),
}


def stateless_update(metric, state, y_true, y_pred, sample_weight):
    """What the model's pure step does: swap values in, update, read the new state back, restore."""
    saved = [v._value for v in metric.variables]
    for variable, value in zip(metric.variables, state):
        variable._value = value
    try:
        metric.update_state(y_true, y_pred, sample_weight=sample_weight)
        return [v._value for v in metric.variables], metric.result()
    finally:
        for variable, value in zip(metric.variables, saved):
            variable._value = value


@pytest.mark.parametrize("case", sorted(STATELESS_CASES))
def test_stateless_update_matches_stateful(backend, case):
    factory, y_true, y_pred = STATELESS_CASES[case]
    stateful, stateless = factory(), factory()
    state = [v.value for v in stateless.variables]
    for part in BATCHES:
        stateful.update_state(y_true[part], y_pred[part], sample_weight=WEIGHTS[part])
        state, result = stateless_update(stateless, state, y_true[part], y_pred[part], WEIGHTS[part])
    np.testing.assert_allclose(host(result), host(stateful.result()), rtol=1e-6)
    assert all(np.all(v.numpy() == 0) for v in stateless.variables)  # the originals were put back


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
@pytest.mark.parametrize("case", sorted(STATELESS_CASES))
def test_update_state_traces_under_jax_jit(case):
    import jax

    factory, y_true, y_pred = STATELESS_CASES[case]
    with active.using(get_backend("jax")):
        eager, traced = factory(), factory()
        step = jax.jit(lambda state, t, p, w: stateless_update(traced, state, t, p, w))
        originals = [v.value for v in traced.variables]
        state = list(originals)
        for part in BATCHES:
            eager.update_state(y_true[part], y_pred[part], sample_weight=WEIGHTS[part])
            state, result = step(state, y_true[part], y_pred[part], WEIGHTS[part])
        assert all(isinstance(v, jax.Array) and v.dtype == np.float32 for v in state)
        for new, reference in zip(state, eager.variables):
            np.testing.assert_allclose(np.asarray(new), reference.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(result), host(eager.result()), rtol=1e-5, atol=1e-6)
        assert all(v.value is original for v, original in zip(traced.variables, originals))
