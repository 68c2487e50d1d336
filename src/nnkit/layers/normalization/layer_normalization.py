"""LayerNormalization: normalize each sample over its feature axes, then scale and shift."""
from nnkit import ops
from nnkit.layers.normalization.base import Normalization, normalize


class LayerNormalization(Normalization):
    """Keras 3's LayerNormalization: (x - mean) / sqrt(var + epsilon) * gamma + beta over `axis` per sample.

    With `rms_scaling=True` (Keras' deprecated flag, kept for its numbers) the input is not centered:
    x / sqrt(var + epsilon) * gamma, and there is no beta."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(axis=axis, epsilon=epsilon, center=center, scale=scale, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer, beta_regularizer=beta_regularizer,
                         gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                         gamma_constraint=gamma_constraint, **kwargs)
        self.rms_scaling = bool(rms_scaling)

    def build(self, input_shape):
        self._add_gamma_and_beta(self._weight_shape(input_shape), with_gamma=self.scale or self.rms_scaling,
                                 with_beta=self.center and not self.rms_scaling)

    def call(self, inputs):
        inputs = self._in_float32(inputs)
        mean, variance = ops.moments(inputs, self._axes, keepdims=True)
        gamma, beta = (self._broadcast(v, inputs.dtype) for v in (self.gamma, self.beta))
        return normalize(inputs, None if self.rms_scaling else mean, variance, gamma, beta, self.epsilon)

    def get_config(self):
        return {**super().get_config(), "rms_scaling": self.rms_scaling}
