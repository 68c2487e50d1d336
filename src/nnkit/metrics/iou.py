"""Intersection-over-union metrics from a running confusion matrix: IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU.

IoU of class c = TP / (TP + FP + FN) = cm[c, c] / (row c + column c - cm[c, c]); the metrics average it over
target classes that occurred (a class never seen nor predicted does not count).
"""
import numpy as np

import nnkit.ops as ops
from nnkit.config import epsilon
from nnkit.metrics.base import Metric, assign_add
from nnkit.metrics.inputs import as_tensor


class IoU(Metric):
    """The mean IoU over `target_class_ids`, from integer labels and predictions (or, with `sparse_y_true` /
    `sparse_y_pred` False, from scores along `axis`, taking the arg-max); labels `ignore_class` do not count.
    The confusion matrix is kept in floats, so fractional sample weights count exactly."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        target_class_ids = [int(c) for c in target_class_ids]
        if not target_class_ids or max(target_class_ids) >= num_classes or min(target_class_ids) < 0:
            raise ValueError(
                f"Target class ids {target_class_ids} must lie in the range [0, {num_classes})."
            )
        super().__init__(name=name, dtype=dtype)
        self.num_classes = num_classes
        self.target_class_ids = target_class_ids
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable((num_classes, num_classes), name="total_confusion_matrix")

    def _class_ids(self, values, sparse):
        values = as_tensor(values)
        if not sparse:
            values = ops.argmax(values, axis=self.axis)
        return ops.reshape(ops.cast(values, "int32"), (-1,))

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = self._class_ids(y_true, self.sparse_y_true)
        y_pred = self._class_ids(y_pred, self.sparse_y_pred)
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"{self.name}: y_true and y_pred hold {y_true.shape[0]} and {y_pred.shape[0]} class ids; "
                "they must hold one each per position."
            )
        weights = ops.ones(tuple(y_true.shape), self.dtype) if sample_weight is None else \
            ops.broadcast_to(ops.reshape(as_tensor(sample_weight, self.dtype), (-1,)), tuple(y_true.shape))
        in_range = ops.logical_and(
            ops.logical_and(ops.greater_equal(y_true, 0), ops.less(y_true, self.num_classes)),
            ops.logical_and(ops.greater_equal(y_pred, 0), ops.less(y_pred, self.num_classes)),
        )
        if self.ignore_class is not None:
            in_range = ops.logical_and(in_range, ops.not_equal(y_true, self.ignore_class))
        weights = ops.where(in_range, weights, 0.0)
        true_hot = ops.one_hot(ops.where(in_range, y_true, 0), self.num_classes, dtype=self.dtype)
        pred_hot = ops.one_hot(ops.where(in_range, y_pred, 0), self.num_classes, dtype=self.dtype)
        # cm[i, j]: the weight of positions labelled i and predicted j.
        counts = ops.matmul(ops.transpose(true_hot), ops.multiply(pred_hot, ops.expand_dims(weights, 1)))
        assign_add(self.total_cm, counts)

    def result(self):
        cm = self.total_cm
        true_positives = ops.sum(ops.multiply(cm, ops.eye(self.num_classes, dtype=cm.dtype)), axis=0)
        union = ops.subtract(ops.add(ops.sum(cm, axis=0), ops.sum(cm, axis=1)), true_positives)
        targets = as_tensor(np.asarray(self.target_class_ids, dtype="int32"))
        true_positives, union = ops.take(true_positives, targets), ops.take(union, targets)
        valid = ops.greater(union, 1e-9)
        iou = ops.where(valid, ops.divide(true_positives, ops.add(union, epsilon())), 0.0)
        return ops.divide(ops.sum(iou), ops.add(ops.sum(ops.cast(valid, cm.dtype)), epsilon()))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class MeanIoU(IoU):
    """The IoU averaged over all `num_classes` classes."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True, sparse_y_pred=True,
                 axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


class BinaryIoU(IoU):
    """IoU of 0/1 targets and predictions thresholded at `threshold` (positive where y_pred >= threshold),
    averaged over `target_class_ids` among 0 and 1."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted = ops.cast(ops.greater_equal(as_tensor(y_pred), self.threshold), "int32")
        super().update_state(y_true, predicted, sample_weight=sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold, "name": self.name,
                "dtype": self.dtype}


class OneHotIoU(IoU):
    """IoU over `target_class_ids` from one-hot targets and class scores (arg-max along `axis`)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_pred=False,
                 axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """The IoU averaged over all classes, from one-hot targets and class scores (arg-max along `axis`)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config
