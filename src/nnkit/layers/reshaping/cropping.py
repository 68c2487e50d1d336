"""Cropping1D/2D/3D: rows cut away from the start and end of each spatial axis."""
from nnkit.layers.reshaping.base_border import BaseCropping


class Cropping1D(BaseCropping):
    """(batch, steps, features) -> (batch, steps - before - after, features); channels-last only, as Keras."""

    rank = 1
    has_data_format = False

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)


class Cropping2D(BaseCropping):
    """Crops rows and columns of (batch, rows, cols, channels) inputs."""

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(BaseCropping):
    """Crops the three spatial axes of (batch, d1, d2, d3, channels) inputs."""

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)
