"""GlobalMaxPooling1D/2D/3D: the maximum over all spatial axes."""
from nnkit.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalMaxPooling1D(BaseGlobalPooling):
    """(batch, steps, features) -> (batch, features): the maximum over the steps."""

    rank, pool_mode = 1, "max"


class GlobalMaxPooling2D(BaseGlobalPooling):
    """(batch, rows, cols, channels) -> (batch, channels): the maximum over rows and columns."""

    rank, pool_mode = 2, "max"


class GlobalMaxPooling3D(BaseGlobalPooling):
    """(batch, d1, d2, d3, channels) -> (batch, channels): the maximum over the three spatial axes."""

    rank, pool_mode = 3, "max"
