"""Losses with Keras 3 names, defaults and reductions, written with nnkit.ops: functions give one value
per sample; Loss classes weight those by `sample_weight` and reduce them to the scalar a step minimises.
"""
import functools
import math
import warnings

import numpy as np

import nnkit.ops as ops
from nnkit.config import epsilon, floatx
from nnkit.dtype_policies.dtype_policy import HALF_DTYPES
from nnkit.naming import look_up, snake_case

_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# --- input standardisation ------------------------------------------------------------------------
@functools.cache
def _is_float(dtype):
    """Whether `dtype` is a floating type (bfloat16 included); host-side bookkeeping only."""
    return "float" in np.dtype(dtype).name


def _as_prediction(y_pred):
    """`y_pred` as a tensor of a float dtype (floatx for Python values and integer arrays)."""
    if not hasattr(y_pred, "dtype"):
        return ops.convert_to_tensor(y_pred, dtype=floatx())
    y_pred = ops.convert_to_tensor(y_pred)
    return y_pred if _is_float(y_pred.dtype) else ops.cast(y_pred, floatx())


def _as_labels(y_true, dtype):
    """`y_true` as a tensor of `dtype`."""
    y_true = ops.convert_to_tensor(y_true)
    return y_true if y_true.dtype == dtype else ops.cast(y_true, dtype)


def _align_ranks(y_true, y_pred):
    """Keras' rule when the ranks differ by one and the longer ends in an axis of 1: a rank-1 partner
    gains that axis, otherwise the longer one loses it."""
    true_rank, pred_rank = len(y_true.shape), len(y_pred.shape)
    if pred_rank == true_rank + 1 and y_pred.shape[-1] == 1:
        if true_rank == 1:
            y_true = ops.expand_dims(y_true, -1)
        else:
            y_pred = ops.squeeze(y_pred, -1)
    elif true_rank == pred_rank + 1 and y_true.shape[-1] == 1:
        if pred_rank == 1:
            y_pred = ops.expand_dims(y_pred, -1)
        else:
            y_true = ops.squeeze(y_true, -1)
    return y_true, y_pred


def _prepare(name, y_true, y_pred, hint=""):
    """`y_pred` as a float tensor and `y_true` cast to its dtype with ranks aligned; any other shape
    mismatch is a ValueError naming the loss and both shapes (never a silent broadcast)."""
    y_pred = _as_prediction(y_pred)
    y_true = _as_labels(y_true, y_pred.dtype)
    aligned_true, aligned_pred = _align_ranks(y_true, y_pred)
    if tuple(aligned_true.shape) != tuple(aligned_pred.shape):
        raise ValueError(
            f"{name}: y_true and y_pred have incompatible shapes: y_true.shape={tuple(y_true.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}. They must be equal, up to a trailing axis of size 1.{hint}"
        )
    return aligned_true, aligned_pred


def _l2_normalize(x, axis):
    """x / max(||x||, epsilon) along `axis` (a zero vector stays zero)."""
    squared_norm = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.divide(x, ops.sqrt(ops.maximum(squared_norm, epsilon() ** 2)))


# --- loss functions: one value per sample -----------------------------------------------------------
def mean_squared_error(y_true, y_pred):
    """mean((y_true - y_pred)^2) over the last axis."""
    y_true, y_pred = _prepare("mean_squared_error", y_true, y_pred)
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """mean(|y_true - y_pred|) over the last axis."""
    y_true, y_pred = _prepare("mean_absolute_error", y_true, y_pred)
    return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(|y_true - y_pred| / max(|y_true|, epsilon)) over the last axis."""
    y_true, y_pred = _prepare("mean_absolute_percentage_error", y_true, y_pred)
    relative = ops.divide(ops.subtract(y_true, y_pred), ops.maximum(ops.abs(y_true), epsilon()))
    return ops.multiply(100.0, ops.mean(ops.abs(relative), axis=-1))


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean((log(1 + y_pred) - log(1 + y_true))^2) over the last axis, inputs floored at epsilon."""
    y_true, y_pred = _prepare("mean_squared_logarithmic_error", y_true, y_pred)
    log_pred = ops.log(ops.add(ops.maximum(y_pred, epsilon()), 1.0))
    log_true = ops.log(ops.add(ops.maximum(y_true, epsilon()), 1.0))
    return ops.mean(ops.square(ops.subtract(log_pred, log_true)), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Quadratic for errors up to `delta`, linear beyond; mean over the last axis."""
    y_true, y_pred = _prepare("huber", y_true, y_pred)
    error = ops.subtract(y_pred, y_true)
    abs_error = ops.abs(error)
    quadratic = ops.multiply(0.5, ops.square(error))
    linear = ops.subtract(ops.multiply(delta, abs_error), 0.5 * delta * delta)
    return ops.mean(ops.where(ops.less_equal(abs_error, delta), quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true))) over the last axis, as x + softplus(-2x) - log 2 (no overflow)."""
    y_true, y_pred = _prepare("log_cosh", y_true, y_pred)
    error = ops.subtract(y_pred, y_true)
    log_cosh_error = ops.subtract(ops.add(error, ops.softplus(ops.multiply(-2.0, error))), float(np.log(2.0)))
    return ops.mean(log_cosh_error, axis=-1)


def _hinge_labels(y_true):
    """Labels in {-1, 1}: labels that are all 0/1 are mapped to -1/1, as Keras does."""
    is_binary = ops.all(ops.logical_or(ops.equal(y_true, 0), ops.equal(y_true, 1)))
    return ops.where(is_binary, ops.subtract(ops.multiply(y_true, 2.0), 1.0), y_true)


def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)) over the last axis; labels -1/1 (or 0/1)."""
    y_true, y_pred = _prepare("hinge", y_true, y_pred)
    margin = ops.subtract(1.0, ops.multiply(_hinge_labels(y_true), y_pred))
    return ops.mean(ops.maximum(margin, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0)^2) over the last axis; labels -1/1 (or 0/1)."""
    y_true, y_pred = _prepare("squared_hinge", y_true, y_pred)
    margin = ops.subtract(1.0, ops.multiply(_hinge_labels(y_true), y_pred))
    return ops.mean(ops.square(ops.maximum(margin, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) over the last axis (one-hot y_true)."""
    y_true, y_pred = _prepare("categorical_hinge", y_true, y_pred)
    positive = ops.sum(ops.multiply(y_true, y_pred), axis=-1)
    negative = ops.max(ops.multiply(ops.subtract(1.0, y_true), y_pred), axis=-1)
    return ops.maximum(ops.add(ops.subtract(negative, positive), 1.0), 0.0)


def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred)) over the last axis, both clipped to [epsilon, 1]."""
    y_true, y_pred = _prepare("kl_divergence", y_true, y_pred)
    y_true = ops.clip(y_true, epsilon(), 1.0)
    y_pred = ops.clip(y_pred, epsilon(), 1.0)
    return ops.sum(ops.multiply(y_true, ops.log(ops.divide(y_true, y_pred))), axis=-1)


def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + epsilon)) over the last axis."""
    y_true, y_pred = _prepare("poisson", y_true, y_pred)
    return ops.mean(ops.subtract(y_pred, ops.multiply(y_true, ops.log(ops.add(y_pred, epsilon())))), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """-sum(unit(y_true) * unit(y_pred)) along `axis`: -1 for parallel vectors, 0 if either is zero."""
    y_true, y_pred = _prepare("cosine_similarity", y_true, y_pred)
    return ops.negative(ops.sum(ops.multiply(_l2_normalize(y_true, axis), _l2_normalize(y_pred, axis)), axis=axis))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Mean over `axis` of the elementwise binary crossentropy; smoothing pulls labels towards 0.5."""
    y_true, y_pred = _prepare("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Crossentropy over the class `axis` against one-hot (or soft) labels; smoothing spreads
    `label_smoothing` of the mass evenly over the classes."""
    y_true, y_pred = _prepare(
        "categorical_crossentropy", y_true, y_pred,
        hint=" Integer class labels need sparse_categorical_crossentropy.",
    )
    if y_pred.shape[axis] == 1:
        warnings.warn(
            f"categorical_crossentropy expects y_pred of shape (batch, num_classes) with num_classes > 1; "
            f"received y_pred.shape={tuple(y_pred.shape)}. With two classes, use binary_crossentropy.",
            SyntaxWarning,
            stacklevel=2,
        )
    if label_smoothing:
        num_classes = y_true.shape[axis]
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), label_smoothing / num_classes)
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Crossentropy against integer class labels (shape of y_pred without the class axis, or with it
    of size 1); positions labelled `ignore_class` give 0."""
    y_pred = _as_prediction(y_pred)
    labels = ops.convert_to_tensor(y_true)
    given_shape = tuple(labels.shape)
    class_axis = axis % len(y_pred.shape)
    if len(labels.shape) == len(y_pred.shape) and labels.shape[class_axis] == 1:
        labels = ops.squeeze(labels, class_axis)
    expected = tuple(n for i, n in enumerate(y_pred.shape) if i != class_axis)
    if tuple(labels.shape) != expected:
        raise ValueError(
            f"sparse_categorical_crossentropy: y_true must hold one integer label per sample, shape {expected} "
            f"(or with an axis of 1 in place of the classes); received y_true.shape={given_shape}, "
            f"y_pred.shape={tuple(y_pred.shape)}. One-hot labels need categorical_crossentropy."
        )
    if ignore_class is None:
        return ops.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits, axis=axis)
    valid = ops.not_equal(labels, ignore_class)
    labels = ops.where(valid, labels, 0)
    losses = ops.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits, axis=axis)
    return ops.where(valid, losses, 0.0)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                              label_smoothing=0.0, axis=-1):
    """Binary crossentropy scaled by (1 - p_t)^gamma, p_t the probability of the true label (Lin et al. 2017),
    and by alpha / 1 - alpha for positive / negative labels with `apply_class_balancing`; mean over `axis`."""
    y_true, y_pred = _prepare("binary_focal_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    crossentropy = ops.binary_crossentropy(y_true, y_pred)
    negative_true = ops.subtract(1.0, y_true)
    p_true = ops.add(ops.multiply(y_true, y_pred), ops.multiply(negative_true, ops.subtract(1.0, y_pred)))
    focal = ops.multiply(ops.power(ops.subtract(1.0, p_true), gamma), crossentropy)
    if apply_class_balancing:
        focal = ops.multiply(ops.add(ops.multiply(y_true, alpha), ops.multiply(negative_true, 1.0 - alpha)), focal)
    return ops.mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                                   axis=-1):
    """Categorical crossentropy with each class's term scaled by alpha (1 - p)^gamma (Lin et al. 2017)."""
    y_true, y_pred = _prepare("categorical_focal_crossentropy", y_true, y_pred,
                              hint=" Integer class labels must be one-hot encoded first.")
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), label_smoothing / y_true.shape[axis])
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    probabilities = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    probabilities = ops.clip(probabilities, epsilon(), 1.0 - epsilon())
    weights = ops.multiply(ops.power(ops.subtract(1.0, probabilities), gamma), alpha)
    return ops.sum(ops.multiply(weights, ops.negative(ops.multiply(y_true, ops.log(probabilities)))), axis=axis)


def _overlaps(name, y_true, y_pred, axis):
    """(sum(y_true * y_pred), sum(y_true * (1 - y_pred)), sum((1 - y_true) * y_pred)) over `axis`."""
    y_true, y_pred = _prepare(name, y_true, y_pred)
    both = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    missed = ops.sum(ops.multiply(y_true, ops.subtract(1.0, y_pred)), axis=axis)
    extra = ops.sum(ops.multiply(ops.subtract(1.0, y_true), y_pred), axis=axis)
    return both, missed, extra


def dice(y_true, y_pred, axis=None):
    """1 - 2 |y_true . y_pred| / (|y_true| + |y_pred|) over `axis` (every axis by default)."""
    both, missed, extra = _overlaps("dice", y_true, y_pred, axis)
    total = ops.add(ops.add(ops.multiply(both, 2.0), missed), extra)
    return ops.subtract(1.0, ops.divide(ops.multiply(both, 2.0), ops.add(total, epsilon())))


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """1 - TP / (TP + alpha sum(y_true (1 - y_pred)) + beta sum((1 - y_true) y_pred)) over `axis`, Keras' weighting
    (alpha = beta = 0.5 is the Dice loss)."""
    both, missed, extra = _overlaps("tversky", y_true, y_pred, axis)
    denominator = ops.add(ops.add(both, ops.multiply(missed, alpha)), ops.multiply(extra, beta))
    return ops.subtract(1.0, ops.divide(both, ops.add(denominator, epsilon())))


def ctc(y_true, y_pred):
    """CTC loss of integer labels (batch, max_length), padded with the blank class 0 after the labels, under
    logits (batch, frames, classes) whose every frame counts; class 0 is the blank."""
    y_true = ops.convert_to_tensor(y_true)
    y_pred = _as_prediction(y_pred)
    if len(y_true.shape) != 2 or len(y_pred.shape) != 3:
        raise ValueError(
            "ctc: y_true must be integer labels of shape (batch_size, max_length) and y_pred logits of shape "
            f"(batch_size, frames, num_classes); received y_true.shape={tuple(y_true.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}."
        )
    batch, frames = y_pred.shape[:2]
    label_length = ops.sum(ops.cast(ops.not_equal(y_true, 0), "int32"), axis=-1)
    return ops.ctc_loss(y_true, y_pred, label_length, ops.full((batch,), frames, "int32"), mask_index=0)


# --- weighting and reduction -------------------------------------------------------------------------
def _standardize_reduction(reduction):
    """`reduction` if Keras knows it, else a ValueError listing the valid ones."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Invalid reduction {reduction!r}; expected one of {_REDUCTIONS}.")
    return reduction


def _per_sample_weights(sample_weight, values):
    """`sample_weight` cast to the values' dtype and shaped to broadcast over each sample's values:
    (batch,) against (batch, steps) weighs whole samples; a trailing axis of 1 is dropped."""
    weights = _as_labels(sample_weight, values.dtype)
    given_shape = tuple(weights.shape)
    rank = len(values.shape)
    if len(weights.shape) == rank + 1 and weights.shape[-1] == 1:
        weights = ops.squeeze(weights, -1)
    if len(weights.shape) < rank:
        weights = ops.reshape(weights, tuple(weights.shape) + (1,) * (rank - len(weights.shape)))
    if len(weights.shape) != rank or any(w not in (1, v) for w, v in zip(weights.shape, values.shape)):
        raise ValueError(
            f"sample_weight of shape {given_shape} cannot weigh per-sample losses of "
            f"shape {tuple(values.shape)}: it must be (batch,) or broadcastable to the losses."
        )
    return weights


def _divide_no_nan(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0."""
    zero = ops.equal(denominator, 0)
    return ops.where(zero, 0.0, ops.divide(numerator, ops.where(zero, 1.0, denominator)))


def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size", mask=None):
    """Weight per-sample `values` by `sample_weight` and a 0/1 `mask`, then reduce as Keras does ('mean' and
    'sum_over_batch_size' divide by the unmasked count, 'mean_with_sample_weight' by the total weight)."""
    reduction = _standardize_reduction(reduction)
    weights = None if sample_weight is None else _per_sample_weights(sample_weight, values)
    if mask is not None:
        mask = ops.cast(mask, values.dtype)
        weights = mask if weights is None else ops.multiply(weights, mask)
    if weights is not None:
        values = ops.multiply(values, weights)
    if reduction in (None, "none"):
        return values
    total = ops.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weights is not None:
        return _divide_no_nan(total, ops.sum(ops.broadcast_to(weights, tuple(values.shape))))
    if mask is not None:
        return _divide_no_nan(total, ops.sum(mask))
    return ops.divide(total, max(math.prod(values.shape), 1))


# --- Loss classes -------------------------------------------------------------------------------------
class Loss:
    """Base class: `call(y_true, y_pred)` gives per-sample losses; calling the loss weights and reduces them.
    `dtype=None` computes in y_pred's float dtype, except that half-precision predictions (mixed precision) are
    computed in floatx(), as Keras does; y_true is cast to it unless `integer_labels`."""

    integer_labels = False

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.reduction = _standardize_reduction(reduction)
        self.dtype = dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _as_prediction(y_pred)
        dtype = self.dtype or (floatx() if y_pred.dtype in HALF_DTYPES else None)
        if dtype is not None and y_pred.dtype != dtype:
            y_pred = ops.cast(y_pred, dtype)
        y_true = ops.convert_to_tensor(y_true) if self.integer_labels else _as_labels(y_true, y_pred.dtype)
        values = self.call(y_true, y_pred)
        return reduce_weighted_values(values, sample_weight, self.reduction, mask=self.mask(y_true, values))

    def call(self, y_true, y_pred):
        """Per-sample losses; subclasses implement it with nnkit.ops."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def mask(self, y_true, values):
        """A 0/1 array of `values`' shape marking the values that count, or None when all do."""
        return None

    def get_config(self):
        """The constructor arguments that rebuild this loss."""
        return {"name": self.name, "reduction": self.reduction, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """Rebuild a loss from `get_config()` output."""
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A Loss made from a per-sample function `fn(y_true, y_pred, **kwargs)`; the keyword arguments
    are also readable as attributes (`loss.from_logits`). A custom `fn` stays a callable in the config."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs
        self.integer_labels = fn in (sparse_categorical_crossentropy, ctc)

    def __getattr__(self, name):
        kwargs = self.__dict__.get("_fn_kwargs", {})
        if name in kwargs:
            return kwargs[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def call(self, y_true, y_pred):
        y_true, y_pred = _align_ranks(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        fn = _FUNCTION_NAMES.get(self.fn, self.fn)
        return {**super().get_config(), "fn": fn, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        fn = config["fn"]
        return cls(**{**config, "fn": _lookup(fn) if isinstance(fn, str) else fn})

    def __repr__(self):
        return f"<{type(self).__name__}({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """A LossFunctionWrapper whose function the subclass fixes: its config is just the arguments."""

    def get_config(self):
        return {**Loss.get_config(self), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MeanSquaredError(_BuiltinLoss):
    """mean((y_true - y_pred)^2)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(_BuiltinLoss):
    """mean(|y_true - y_pred|)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_BuiltinLoss):
    """100 * mean(|(y_true - y_pred) / y_true|)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_BuiltinLoss):
    """mean((log(1 + y_pred) - log(1 + y_true))^2)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name, dtype=dtype)


class CosineSimilarity(_BuiltinLoss):
    """Negative cosine similarity along `axis` (minimising it aligns the vectors)."""

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis)


class Huber(_BuiltinLoss):
    """Quadratic for errors up to `delta`, linear beyond."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)


class LogCosh(_BuiltinLoss):
    """mean(log(cosh(y_pred - y_true)))."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)


class Hinge(_BuiltinLoss):
    """mean(max(1 - y_true * y_pred, 0)) with labels -1/1 (0/1 are converted)."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(_BuiltinLoss):
    """mean(max(1 - y_true * y_pred, 0)^2) with labels -1/1 (0/1 are converted)."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(_BuiltinLoss):
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) for one-hot labels."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)


class KLDivergence(_BuiltinLoss):
    """Kullback-Leibler divergence sum(y_true * log(y_true / y_pred))."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


class Poisson(_BuiltinLoss):
    """mean(y_pred - y_true * log(y_pred))."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)


class BinaryCrossentropy(_BuiltinLoss):
    """Binary crossentropy against 0/1 labels, from probabilities or (`from_logits=True`) logits."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(_BuiltinLoss):
    """Crossentropy against one-hot (or soft) labels, from probabilities or (`from_logits=True`) logits."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_BuiltinLoss):
    """Crossentropy against integer labels; `ignore_class` positions neither count nor enter the mean."""

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)

    def mask(self, y_true, values):
        if self.ignore_class is None:
            return None
        return ops.reshape(ops.not_equal(y_true, self.ignore_class), tuple(values.shape))


class BinaryFocalCrossentropy(_BuiltinLoss):
    """Binary crossentropy down-weighting easy examples by (1 - p_t)^gamma, optionally class-balanced by alpha."""

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                 axis=-1, reduction="sum_over_batch_size", name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalFocalCrossentropy(_BuiltinLoss):
    """Categorical crossentropy down-weighting easy examples by alpha (1 - p)^gamma."""

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy", dtype=None):
        super().__init__(categorical_focal_crossentropy, reduction=reduction, name=name, dtype=dtype, alpha=alpha,
                         gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class Dice(_BuiltinLoss):
    """1 - the Dice coefficient of y_true and y_pred over `axis` (all axes by default)."""

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, reduction=reduction, name=name, dtype=dtype, axis=axis)


class Tversky(_BuiltinLoss):
    """1 - the Tversky index, weighing misses by alpha and false alarms by beta."""

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None, dtype=None):
        super().__init__(tversky, reduction=reduction, name=name, dtype=dtype, alpha=alpha, beta=beta, axis=axis)


class CTC(_BuiltinLoss):
    """Connectionist temporal classification loss of 0-padded integer labels under per-frame logits (blank 0)."""

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, reduction=reduction, name=name, dtype=dtype)


# --- lookup and (de)serialization ---------------------------------------------------------------------
_FUNCTIONS = (
    binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy, mean_squared_error,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error, huber, hinge,
    squared_hinge, categorical_hinge, kl_divergence, poisson, cosine_similarity, log_cosh, binary_focal_crossentropy,
    categorical_focal_crossentropy, dice, tversky, ctc,
)
_CLASSES = (
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, MeanSquaredError,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, Huber, Hinge, SquaredHinge,
    CategoricalHinge, KLDivergence, Poisson, CosineSimilarity, LogCosh, BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy, Dice, Tversky, CTC,
)
_FUNCTION_NAMES = {fn: fn.__name__ for fn in _FUNCTIONS}
# tf.keras' short function aliases.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
# Function names give functions and class names give fresh instances, as in Keras; then Keras' aliases.
_BY_NAME = {fn.__name__: fn for fn in _FUNCTIONS}
_BY_NAME.update({cls.__name__: cls for cls in _CLASSES})
_BY_NAME.update(
    {
        "mse": mean_squared_error, "MSE": mean_squared_error,
        "mae": mean_absolute_error, "MAE": mean_absolute_error,
        "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
        "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
        "kld": kl_divergence, "KLD": kl_divergence, "kullback_leibler_divergence": kl_divergence,
        "bce": binary_crossentropy, "BCE": binary_crossentropy,
        "logcosh": log_cosh, "huber_loss": huber,
    }
)
# The classes a config dict may name.
_CONFIG_CLASSES = {cls.__name__: cls for cls in (*_CLASSES, LossFunctionWrapper)}


def _lookup(name, table=_BY_NAME):
    """The entry of `table` called `name`, or a ValueError suggesting close names."""
    return look_up(table, name, "loss",
                   "a Loss instance or class, a callable, a config dict {'class_name': ..., 'config': ...}")

def serialize(loss):
    """The config dict of a Loss instance or a built-in loss function (Keras 3's form); None stays None."""
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    if loss in _FUNCTION_NAMES:
        return {"class_name": "function", "config": _FUNCTION_NAMES[loss]}
    raise ValueError(f"Only Loss instances and built-in loss functions can be serialized; received {loss!r}")


def deserialize(config):
    """The loss a `serialize` dict (or a name) describes."""
    if isinstance(config, str):
        found = _lookup(config)
        return found() if isinstance(found, type) else found
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A loss config needs a 'class_name' key; received {config!r}")
    if config["class_name"] == "function":
        return _lookup(config["config"])
    return _lookup(config["class_name"], _CONFIG_CLASSES).from_config(config.get("config") or {})


def get(identifier):
    """A loss from a name, config dict, Loss (class or instance) or callable; None stays None."""
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")
