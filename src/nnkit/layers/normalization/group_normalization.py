"""GroupNormalization: split the channels into groups and normalize each sample over each group."""
import numbers

from nnkit import ops
from nnkit.layers.normalization.base import Normalization, normalize


class GroupNormalization(Normalization):
    """Keras 3's GroupNormalization: per sample, the channels of `axis` form `groups` groups of equal size,
    each normalized over its channels and every other non-batch axis, then scaled by gamma and shifted by
    beta per channel. groups=-1 makes one group per channel (instance normalization); groups=1 normalizes
    like LayerNormalization over all non-batch axes."""

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        if not isinstance(groups, numbers.Integral) or isinstance(groups, bool) or (groups <= 0 and groups != -1):
            raise ValueError(f"GroupNormalization: groups must be a positive integer (or -1 for instance "
                             f"normalization), received groups={groups!r}.")
        super().__init__(axis=axis, epsilon=epsilon, center=center, scale=scale, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer, beta_regularizer=beta_regularizer,
                         gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                         gamma_constraint=gamma_constraint, **kwargs)
        if not isinstance(self.axis, int):
            raise TypeError(f"{self._label}: axis must be one int, received axis={self.axis!r}.")
        self.groups = int(groups)

    def build(self, input_shape):
        (channels,) = self._weight_shape(input_shape)
        if self.groups == -1:
            self.groups = channels
        if channels < self.groups or channels % self.groups:
            raise ValueError(f"{self._label}: the {channels} channels of axis {self.axis} (input shape "
                             f"{tuple(input_shape)}) cannot be split into {self.groups} groups of equal size; "
                             f"groups must divide the number of channels.")
        (axis,) = self._axes
        grouped_rank = len(input_shape) + 1
        # The grouped input has the group index at `axis` and the channel within the group after it.
        self._group_reduction_axes = tuple(a for a in range(1, grouped_rank) if a != axis)
        broadcast = [1] * grouped_rank
        broadcast[axis:axis + 2] = [self.groups, channels // self.groups]
        self._broadcast_shape = tuple(broadcast)
        self._add_gamma_and_beta((channels,))

    def call(self, inputs):
        inputs = self._in_float32(inputs)
        shape = tuple(inputs.shape)
        (axis,) = self._axes
        grouped = ops.reshape(inputs, shape[:axis] + (self.groups, shape[axis] // self.groups) + shape[axis + 1:])
        mean, variance = ops.moments(grouped, self._group_reduction_axes, keepdims=True)
        gamma, beta = (self._broadcast(v, inputs.dtype) for v in (self.gamma, self.beta))
        return ops.reshape(normalize(grouped, mean, variance, gamma, beta, self.epsilon), shape)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups}
