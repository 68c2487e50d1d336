"""GlobalAveragePooling1D/2D/3D: the mean over all spatial axes (1D: over the unmasked steps only)."""
from nnkit import ops
from nnkit.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalAveragePooling1D(BaseGlobalPooling):
    """(batch, steps, features) -> (batch, features): the mean over the steps; with a `mask` (batch, steps),
    the mean over the steps where it is True (as Keras 3). The output carries no mask."""

    rank, pool_mode = 1, "average"
    supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps = self._axes[0]
        keep = ops.expand_dims(ops.cast(mask, "bool"), 2 if self.data_format == "channels_last" else 1)
        total = ops.sum(ops.where(keep, inputs, 0.0), axis=steps, keepdims=self.keepdims)
        return ops.divide(total, ops.sum(ops.cast(keep, inputs.dtype), axis=steps, keepdims=self.keepdims))

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(BaseGlobalPooling):
    """(batch, rows, cols, channels) -> (batch, channels): the mean over rows and columns."""

    rank, pool_mode = 2, "average"


class GlobalAveragePooling3D(BaseGlobalPooling):
    """(batch, d1, d2, d3, channels) -> (batch, channels): the mean over the three spatial axes."""

    rank, pool_mode = 3, "average"
