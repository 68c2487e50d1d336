"""CompileMetrics: 'accuracy' resolved from the target/prediction shapes and the loss (as Keras does), log
names (loss, per-output losses, output-prefixed metrics), metrics per output from lists, lists of lists and
dicts, and the values the trackers report after updates. Runs on each installed backend."""
import numpy as np
import pytest

from nnkit import metrics
from nnkit.training.compile_loss import CompileLoss
from nnkit.training.compile_metrics import CompileMetrics


def _built(metric_spec, output_names, y_true_shapes, y_pred_shapes, loss="mse", weighted=None):
    compile_metrics = CompileMetrics(metric_spec, output_names, CompileLoss(loss, None, output_names), weighted)
    compile_metrics.build(y_true_shapes, y_pred_shapes)
    return compile_metrics


def _types(compile_metrics):
    return [[type(metric).__name__ for metric in group] for group in compile_metrics.output_metrics]


def _results(compile_metrics, backend):
    return {name: float(backend.to_numpy(value)) for name, value in compile_metrics.results().items()}


@pytest.mark.parametrize("y_true, y_pred, loss, expected", [
    ((None,), (None, 1), "mse", "BinaryAccuracy"),
    ((None, 1), (None, 1), "mse", "BinaryAccuracy"),
    ((None, 3), (None, 3), "binary_crossentropy", "BinaryAccuracy"),
    ((None,), (None, 3), "sparse_categorical_crossentropy", "SparseCategoricalAccuracy"),
    ((None, 1), (None, 3), "sparse_categorical_crossentropy", "SparseCategoricalAccuracy"),
    ((None, 3), (None, 3), "categorical_crossentropy", "CategoricalAccuracy"),
])
@pytest.mark.parametrize("name", ["accuracy", "acc"])
def test_accuracy_is_resolved_from_shapes_and_loss(backend, y_true, y_pred, loss, expected, name):
    compile_metrics = _built([name], ["out"], [y_true], [y_pred], loss=loss)
    assert _types(compile_metrics) == [[expected]]
    assert compile_metrics.names == ["loss", name]  # the log keeps the name the user wrote


def test_names_for_one_output(backend):
    compile_metrics = _built(["mae", metrics.MeanSquaredError(), "accuracy"], ["out"], [(None, 1)], [(None, 1)])
    assert compile_metrics.names == ["loss", "mae", "mean_squared_error", "accuracy"]


def test_no_metrics_means_only_the_loss(backend):
    assert _built(None, ["out"], [(None, 1)], [(None, 1)]).names == ["loss"]


def test_a_flat_list_applies_to_every_output_with_prefixed_names(backend):
    compile_metrics = _built(["mae", "accuracy"], ["a", "b"], [(None, 1), (None, 3)], [(None, 1), (None, 3)])
    assert compile_metrics.names == ["loss", "a_loss", "b_loss", "a_mae", "a_accuracy", "b_mae", "b_accuracy"]
    assert _types(compile_metrics) == [["MeanAbsoluteError", "BinaryAccuracy"],
                                       ["MeanAbsoluteError", "CategoricalAccuracy"]]


def test_a_list_of_lists_gives_each_output_its_own(backend):
    compile_metrics = _built([["mae"], ["mse", "accuracy"]], ["a", "b"], [(None, 1), (None, 3)],
                             [(None, 1), (None, 3)])
    assert compile_metrics.names == ["loss", "a_loss", "b_loss", "a_mae", "b_mse", "b_accuracy"]


def test_a_dict_gives_metrics_to_the_named_outputs_only(backend):
    compile_metrics = _built({"b": ["mae"]}, ["a", "b"], [(None, 1), (None, 3)], [(None, 1), (None, 3)])
    assert compile_metrics.names == ["loss", "a_loss", "b_loss", "b_mae"]
    with pytest.raises(ValueError, match=r"\['c'\]"):
        _built({"c": ["mae"]}, ["a", "b"], [(None, 1), (None, 3)], [(None, 1), (None, 3)])


def test_one_metric_instance_serves_every_output_with_separate_state(backend):
    shared = metrics.MeanAbsoluteError()
    compile_metrics = _built([shared], ["a", "b"], [(None, 1), (None, 1)], [(None, 1), (None, 1)])
    first, second = compile_metrics.output_metrics[0][0], compile_metrics.output_metrics[1][0]
    assert first is not second
    compile_metrics.update([np.ones((4, 1), "float32"), np.ones((4, 1), "float32")],
                           [np.zeros((4, 1), "float32"), np.full((4, 1), 3.0, "float32")],
                           None, np.float32(0.0), [np.float32(0.0), np.float32(0.0)], 4)
    values = [float(backend.to_numpy(first.result())), float(backend.to_numpy(second.result()))]
    assert values == pytest.approx([1.0, 2.0])


def test_a_shared_metric_instance_is_prefixed_once_per_output(backend):
    shared = metrics.MeanAbsoluteError()
    names = _built([shared], ["a", "b"], [(None, 1)] * 2, [(None, 1)] * 2).names
    assert names == ["loss", "a_loss", "b_loss", "a_mean_absolute_error", "b_mean_absolute_error"]
    again = _built([shared], ["a", "b"], [(None, 1)] * 2, [(None, 1)] * 2).names
    assert again == names


def test_updates_accumulate_loss_and_metrics(backend):
    compile_metrics = _built(["accuracy", "mae"], ["out"], [(None, 1)], [(None, 1)])
    y_true = np.array([[1.0], [0.0], [1.0], [0.0]], "float32")
    first = np.array([[0.9], [0.2], [0.4], [0.7]], "float32")  # 2 of 4 right
    second = np.array([[0.8], [0.1]], "float32")  # 2 of 2 right
    compile_metrics.update([y_true], [first], None, np.float32(1.0), [], 4)
    compile_metrics.update([y_true[:2]], [second], None, np.float32(4.0), [], 2)
    results = _results(compile_metrics, backend)
    assert results["loss"] == pytest.approx((1.0 * 4 + 4.0 * 2) / 6)  # batch-size-weighted mean of the losses
    assert results["accuracy"] == pytest.approx(4 / 6)
    expected_mae = (np.abs(y_true - first).sum() + np.abs(y_true[:2] - second).sum()) / 6
    assert results["mae"] == pytest.approx(expected_mae, rel=1e-6)


def test_sample_weight_weights_only_the_weighted_metrics(backend):
    compile_metrics = _built(["accuracy"], ["out"], [(None, 1)], [(None, 1)], weighted=["accuracy"])
    y_true = np.array([[1.0], [0.0], [1.0]], "float32")
    y_pred = np.array([[0.9], [0.9], [0.1]], "float32")  # right, wrong, wrong
    compile_metrics.update([y_true], [y_pred], np.array([3.0, 1.0, 0.0], "float32"), np.float32(0.5), [], 3)
    results = _results(compile_metrics, backend)
    assert results["accuracy"] == pytest.approx(1.0 / 3.0)
    assert results["weighted_accuracy"] == pytest.approx(3.0 / 4.0)


def test_variables_cover_every_metric_state(backend):
    compile_metrics = _built(["mae"], ["out"], [(None, 1)], [(None, 1)])
    assert len(compile_metrics.variables) == 4  # loss tracker and mae: a total and a count each
    assert len(compile_metrics.all_metrics) == 2
