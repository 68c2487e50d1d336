"""BatchNormalization: normalize with the batch's statistics while training (updating moving averages of
them) and with those moving averages at inference."""
import numpy as np

from nnkit import initializers, ops
from nnkit.layers.normalization.base import Normalization, normalize


class BatchNormalization(Normalization):
    """Keras 3's BatchNormalization. Weights: gamma, beta (trainable), moving_mean, moving_variance.

    In training (`training=True` and the layer trainable) the output uses the mean and (biased) variance
    over every axis except `axis`, and the moving statistics move towards them by `1 - momentum`; they are
    assigned inside the call, so a pure train step returns them as new state. Otherwise the moving
    statistics normalize. A `mask` (batch and time axes) leaves masked timesteps out of the statistics.
    `renorm=True` is batch renormalization, with Keras' extra weights moving_stddev, renorm_mean, renorm_stddev."""

    mixes_batch_rows_in_training = True

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(axis=axis, epsilon=epsilon, center=center, scale=scale, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer, beta_regularizer=beta_regularizer,
                         gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                         gamma_constraint=gamma_constraint, **kwargs)
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        # One device holds the whole batch, so synchronized statistics are the batch's statistics.
        self.synchronized = bool(synchronized)
        self.renorm = bool(renorm)
        self.renorm_clipping = _checked_clipping(self._label, renorm_clipping) if self.renorm else renorm_clipping
        self.renorm_momentum = float(renorm_momentum)
        self.moving_mean = self.moving_variance = None

    def build(self, input_shape):
        sizes = self._weight_shape(input_shape)
        self._reduction_axes = tuple(a for a in range(len(input_shape)) if a not in self._axes)
        self._add_gamma_and_beta(sizes)
        self.moving_mean = self.add_weight(sizes, self.moving_mean_initializer, trainable=False, autocast=False,
                                           name="moving_mean")
        self.moving_variance = self.add_weight(sizes, self.moving_variance_initializer, trainable=False,
                                               autocast=False, name="moving_variance")
        if self.renorm:
            def moving_stddev_initializer(shape, dtype=None):
                return np.sqrt(self.moving_variance_initializer(shape, dtype=dtype))

            self.moving_stddev = self.add_weight(sizes, moving_stddev_initializer, trainable=False, autocast=False,
                                                 name="moving_stddev")
            self.renorm_mean = self.add_weight(sizes, self.moving_mean_initializer, trainable=False, autocast=False,
                                               name="renorm_mean")
            self.renorm_stddev = self.add_weight(sizes, moving_stddev_initializer, trainable=False, autocast=False,
                                                 name="renorm_stddev")

    def call(self, inputs, training=None, mask=None):
        inputs = self._in_float32(inputs)
        gamma, beta = self.gamma, self.beta
        if training and self.trainable:
            mean, variance = self._moments(inputs, mask)
            if self.renorm:
                gamma, beta = self._renormalized_gamma_and_beta(mean, variance)
            else:
                self._update_moving_statistics(mean, variance)
        else:
            mean, variance = self.moving_mean, self.moving_variance
        mean, variance, gamma, beta = (self._broadcast(v, inputs.dtype) for v in (mean, variance, gamma, beta))
        return normalize(inputs, mean, variance, gamma, beta, self.epsilon)

    def _moments(self, inputs, mask):
        """Mean and biased variance over the reduction axes (of the unmasked timesteps), shaped like the weights."""
        axes = self._reduction_axes
        if mask is None:
            return ops.moments(inputs, axes)
        if len(mask.shape) != len(inputs.shape) - 1:
            raise ValueError(f"{self._label}: the mask must have one axis fewer than the inputs, received mask "
                             f"shape {tuple(mask.shape)} for inputs of shape {tuple(inputs.shape)}.")
        weights = ops.cast(ops.expand_dims(mask, -1), inputs.dtype)
        count = ops.add(ops.sum(ops.broadcast_to(weights, inputs.shape), axis=axes, keepdims=True), 1e-7)
        mean = ops.divide(ops.sum(ops.multiply(inputs, weights), axis=axes, keepdims=True), count)
        squared = ops.multiply(ops.square(ops.subtract(inputs, mean)), weights)
        variance = ops.divide(ops.sum(squared, axis=axes, keepdims=True), count)
        return ops.squeeze(mean, axes), ops.squeeze(variance, axes)

    def _update_moving_statistics(self, mean, variance):
        _move(self.moving_mean, mean, self.momentum)
        _move(self.moving_variance, variance, self.momentum)

    def _renormalized_gamma_and_beta(self, mean, variance):
        """Batch renormalization (Keras' renorm): gamma and beta that turn the batch-normalized output into
        (x_hat * r + d) * gamma + beta, with r and d (constants for the gradient) relating the batch statistics
        to the renorm averages; updates those averages and the moving statistics (through the moving stddev)."""
        stddev = ops.sqrt(ops.add(variance, self.epsilon))
        renorm_stddev = ops.maximum(self.renorm_stddev, self.epsilon ** 0.5)
        r = ops.divide(stddev, renorm_stddev)
        d = ops.divide(ops.subtract(mean, self.renorm_mean), renorm_stddev)
        clipping = self.renorm_clipping or {}
        if clipping.get("rmin") is not None:
            r = ops.maximum(r, clipping["rmin"])
        if clipping.get("rmax") is not None:
            r = ops.minimum(r, clipping["rmax"])
        if clipping.get("dmax") is not None:
            d = ops.clip(d, -clipping["dmax"], clipping["dmax"])
        r, d = ops.stop_gradient(r), ops.stop_gradient(d)
        gamma = r if self.gamma is None else ops.multiply(r, self.gamma)
        beta = d if self.gamma is None else ops.multiply(d, self.gamma)
        if self.beta is not None:
            beta = ops.add(beta, self.beta)
        _move(self.renorm_mean, mean, self.renorm_momentum)
        _move(self.renorm_stddev, stddev, self.renorm_momentum)
        _move(self.moving_mean, mean, self.momentum)
        _move(self.moving_stddev, stddev, self.momentum)
        moving_stddev = self.moving_stddev.value
        self.moving_variance.assign(ops.relu(ops.subtract(ops.square(moving_stddev), self.epsilon)))
        return gamma, beta

    def get_config(self):
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }


def _move(variable, batch_value, momentum):
    """variable <- momentum * variable + (1 - momentum) * batch_value (a constant for the gradient)."""
    batch_value = ops.cast(ops.stop_gradient(batch_value), variable.dtype)
    variable.assign(ops.add(ops.multiply(variable, momentum), ops.multiply(batch_value, 1.0 - momentum)))


def _checked_clipping(label, clipping):
    """Keras' renorm_clipping: a dict of optional rmin <= rmax and dmax >= 0."""
    clipping = dict(clipping or {})
    unknown = set(clipping) - {"rmin", "rmax", "dmax"}
    if unknown:
        raise ValueError(f"{label}: renorm_clipping takes the keys 'rmin', 'rmax' and 'dmax', "
                         f"received {sorted(unknown)}.")
    rmin, rmax, dmax = clipping.get("rmin"), clipping.get("rmax"), clipping.get("dmax")
    if rmin is not None and rmax is not None and rmax < rmin:
        raise ValueError(f"{label}: renorm_clipping needs rmin <= rmax, received rmin={rmin}, rmax={rmax}.")
    if dmax is not None and dmax < 0:
        raise ValueError(f"{label}: renorm_clipping needs dmax >= 0, received dmax={dmax}.")
    return clipping
