"""Metrics by identifier: names, classes, functions and configs (`get`), and how compile() turns
'accuracy' / 'acc' into binary, categorical or sparse categorical accuracy (`resolve_accuracy`)."""
import inspect

from nnkit.metrics.accuracy import (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
)
from nnkit.metrics.auc import AUC
from nnkit.metrics.base import Metric
from nnkit.naming import snake_case, unknown_name
from nnkit.metrics.confusion import FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives
from nnkit.metrics.reduction import Mean, MeanMetricWrapper, Sum
from nnkit.metrics.regression import (
    CosineSimilarity, LogCoshError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError,
    MeanSquaredLogarithmicError, RootMeanSquaredError,
)
from nnkit.metrics.at_thresholds import (
    PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
)
from nnkit.metrics.f_score import F1Score, FBetaScore
from nnkit.metrics.hinge import CategoricalHinge, Hinge, SquaredHinge
from nnkit.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from nnkit.metrics.probabilistic import (
    BinaryCrossentropy, CategoricalCrossentropy, KLDivergence, Poisson, SparseCategoricalCrossentropy,
)
from nnkit.metrics.r2_score import R2Score

_CLASSES = (
    Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, Precision, Recall, AUC, TruePositives,
    FalsePositives, TrueNegatives, FalseNegatives, MeanSquaredError, MeanAbsoluteError, RootMeanSquaredError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, R2Score,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge,
    SquaredHinge, CategoricalHinge, F1Score, FBetaScore, IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU,
    PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
)
# What a config dict may name: every class above.
_BY_CLASS_NAME = {cls.__name__: cls for cls in _CLASSES}
# What a string may name (as keras.metrics.get): class names, their snake_case forms, Keras' aliases.
_BY_NAME = {name: cls for name, cls in _BY_CLASS_NAME.items() if cls is not MeanMetricWrapper}
_BY_NAME.update({snake_case(name): cls for name, cls in _BY_NAME.items()})
_BY_NAME.update({"mse": MeanSquaredError, "MSE": MeanSquaredError, "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError})
_BY_NAME.update({
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError, "msle": MeanSquaredLogarithmicError,
    "MSLE": MeanSquaredLogarithmicError, "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "kld": KLDivergence, "KLD": KLDivergence,
})

_ACCURACY_NAMES = ("accuracy", "acc")
_BINARY_CROSSENTROPY = ("binarycrossentropy", "bce")


def _unknown(name, known):
    return unknown_name("metric", name, known)

def serialize(metric):
    """The config dict `{'class_name': ..., 'config': ...}` that `get` turns back into the metric."""
    if not isinstance(metric, Metric):
        raise ValueError(f"Only Metric instances can be serialized; received {metric!r}")
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def get(identifier):
    """A Metric from an instance (returned as is), a Metric class, a function `fn(y_true, y_pred)`
    (wrapped in MeanMetricWrapper under its name), a name or a config dict; None stays None."""
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise _unknown(identifier, _BY_NAME)
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict):
        class_name = identifier.get("class_name")
        if class_name not in _BY_CLASS_NAME:
            raise _unknown(str(class_name), _BY_CLASS_NAME)
        return _BY_CLASS_NAME[class_name].from_config(identifier.get("config") or {})
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


def _is_binary_crossentropy(loss):
    """Whether a loss (name, function, class, instance or function wrapper) is binary crossentropy."""
    if loss is None:
        return False
    if isinstance(loss, str):
        names = [loss]
    else:
        wrapped = getattr(loss, "fn", None)
        names = [getattr(loss, "__name__", ""), type(loss).__name__, getattr(wrapped, "__name__", "")]
    return any(name.lower().replace("_", "") in _BINARY_CROSSENTROPY for name in names)


def resolve_accuracy(name, y_true_shape, y_pred_shape, loss=None):
    """The accuracy metric compile() means by 'accuracy' / 'acc', keeping that name: binary when y_pred
    has one unit (or the loss is binary crossentropy), sparse categorical when y_true has fewer axes or a
    trailing 1 against several classes, else categorical (Keras 3's rule, plus Keras 2's loss rule)."""
    if str(name).lower() not in _ACCURACY_NAMES:
        raise ValueError(f"resolve_accuracy() resolves 'accuracy' or 'acc'; received {name!r}.")
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    y_true_last = y_true_shape[-1] if y_true_shape else None
    y_pred_last = y_pred_shape[-1] if y_pred_shape else None
    if y_pred_last == 1 or _is_binary_crossentropy(loss):
        return BinaryAccuracy(name=str(name))
    if len(y_true_shape) < len(y_pred_shape) or (y_true_last == 1 and y_pred_last is not None and y_pred_last > 1):
        return SparseCategoricalAccuracy(name=str(name))
    return CategoricalAccuracy(name=str(name))
