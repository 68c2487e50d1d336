"""Layers that reshape without weights: padding, cropping, upsampling, permuting, repeating."""
from nnkit.layers.reshaping.cropping import Cropping1D, Cropping2D, Cropping3D
from nnkit.layers.reshaping.permute import Permute
from nnkit.layers.reshaping.repeat_vector import RepeatVector
from nnkit.layers.reshaping.up_sampling import UpSampling1D, UpSampling2D
from nnkit.layers.reshaping.zero_padding import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D

__all__ = ["Cropping1D", "Cropping2D", "Cropping3D", "Permute", "RepeatVector", "UpSampling1D", "UpSampling2D",
           "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D"]
