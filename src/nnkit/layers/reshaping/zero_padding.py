"""ZeroPadding1D/2D/3D: zeros added before and after each spatial axis."""
from nnkit.layers.reshaping.base_border import BaseZeroPadding


class ZeroPadding1D(BaseZeroPadding):
    """(batch, steps, features) -> (batch, before + steps + after, features)."""

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(BaseZeroPadding):
    """Pads rows and columns of (batch, rows, cols, channels) inputs."""

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(BaseZeroPadding):
    """Pads the three spatial axes of (batch, d1, d2, d3, channels) inputs."""

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)
