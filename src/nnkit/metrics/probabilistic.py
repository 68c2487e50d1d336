"""Probabilistic metrics: the running (weighted) mean of a crossentropy, KL divergence or Poisson loss."""
from nnkit import losses
from nnkit.metrics.reduction import PresetMeanMetric, metric_function

binary_crossentropy = metric_function(losses.binary_crossentropy)
categorical_crossentropy = metric_function(losses.categorical_crossentropy)
sparse_categorical_crossentropy = metric_function(losses.sparse_categorical_crossentropy)
binary_focal_crossentropy = metric_function(losses.binary_focal_crossentropy)
categorical_focal_crossentropy = metric_function(losses.categorical_focal_crossentropy)
kl_divergence = metric_function(losses.kl_divergence)
poisson = metric_function(losses.poisson)


class BinaryCrossentropy(PresetMeanMetric):
    """The running binary crossentropy between 0/1 targets and probabilities (or logits)."""

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        super().__init__(binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(PresetMeanMetric):
    """The running crossentropy between one-hot targets and probabilities (or logits)."""

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0, axis=-1):
        super().__init__(categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(PresetMeanMetric):
    """The running crossentropy between integer labels and probabilities (or logits)."""

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, ignore_class=None,
                 axis=-1):
        super().__init__(sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)


class KLDivergence(PresetMeanMetric):
    """The running Kullback-Leibler divergence sum(y_true * log(y_true / y_pred))."""

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, dtype=dtype)


class Poisson(PresetMeanMetric):
    """The running Poisson loss mean(y_pred - y_true * log(y_pred))."""

    def __init__(self, name="poisson", dtype=None):
        super().__init__(poisson, name=name, dtype=dtype)
