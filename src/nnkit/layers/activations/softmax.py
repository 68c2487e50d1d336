"""Softmax: the softmax as a layer, over one axis or several, with Keras 3's optional mask."""
import numpy as np

from nnkit import activations, ops
from nnkit.layers.layer import Layer


class Softmax(Layer):
    """exp(x) / sum(exp(x)) over `axis` (an int or a tuple of ints). A `mask` broadcastable to the input
    (True or > 0.5: keep) excludes positions: they get probability 0 and the rest renormalise."""

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = self._boolean_mask(inputs, mask)
            inputs = ops.where(mask, inputs, -3e4 if np.dtype(inputs.dtype) == np.float16 else -1e9)
        axes = tuple(self.axis) if isinstance(self.axis, (list, tuple)) else (self.axis,)
        if len(axes) > 1:
            outputs = ops.exp(ops.subtract(inputs, ops.logsumexp(inputs, axis=axes, keepdims=True)))
        else:
            outputs = activations.softmax(inputs, axis=axes[0])
        return outputs if mask is None else ops.where(mask, outputs, 0.0)

    def _boolean_mask(self, inputs, mask):
        """`mask` as booleans, after checking it broadcasts to the inputs."""
        shape, mask_shape = tuple(inputs.shape), tuple(mask.shape)
        if len(mask_shape) > len(shape) or any(m not in (1, i) for m, i in zip(mask_shape[::-1], shape[::-1])):
            raise ValueError(f"Softmax '{self.name}': the mask must broadcast to the inputs, received "
                             f"inputs.shape={shape} and mask.shape={mask_shape}.")
        if np.dtype(mask.dtype) != np.bool_:
            mask = ops.greater(mask, 0.5)
        return mask

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
