"""nnkit.metrics: Keras 3 metrics, stateful objects whose state lives in backend Variables.

Look metrics up with `get` (names, classes, functions, configs); compile() resolves 'accuracy'
with `resolve_accuracy`.
"""
from nnkit.metrics.accuracy import (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy, accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy, top_k_categorical_accuracy,
)
from nnkit.metrics.auc import AUC
from nnkit.metrics.base import Metric
from nnkit.metrics.confusion import FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives
from nnkit.metrics.reduction import Mean, MeanMetricWrapper, Sum
from nnkit.metrics.registry import get, resolve_accuracy, serialize
from nnkit.metrics.regression import (
    MeanAbsoluteError, MeanSquaredError, RootMeanSquaredError, mean_absolute_error, mean_squared_error,
)

__all__ = [
    "AUC", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "FalseNegatives", "FalsePositives", "Mean",
    "MeanAbsoluteError", "MeanMetricWrapper", "MeanSquaredError", "Metric", "Precision", "Recall",
    "RootMeanSquaredError", "SparseCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "Sum",
    "TopKCategoricalAccuracy", "TrueNegatives", "TruePositives", "accuracy", "binary_accuracy",
    "categorical_accuracy", "get", "mean_absolute_error", "mean_squared_error", "resolve_accuracy",
    "serialize", "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]
