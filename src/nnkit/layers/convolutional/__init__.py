"""Convolution layers: Conv1D/2D/3D, their transposes, DepthwiseConv1D/2D, SeparableConv1D/2D (Keras names and
aliases)."""
from nnkit.layers.convolutional.conv import Conv1D, Conv2D, Conv3D, Convolution1D, Convolution2D, Convolution3D
from nnkit.layers.convolutional.conv_transpose import (Conv1DTranspose, Conv2DTranspose, Conv3DTranspose,
                                                       Convolution1DTranspose, Convolution2DTranspose,
                                                       Convolution3DTranspose)
from nnkit.layers.convolutional.depthwise_conv import DepthwiseConv1D, DepthwiseConv2D
from nnkit.layers.convolutional.separable_conv import (SeparableConv1D, SeparableConv2D, SeparableConvolution1D,
                                                       SeparableConvolution2D)

__all__ = [
    "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "Convolution1DTranspose", "Convolution2DTranspose", "Convolution3DTranspose",
    "DepthwiseConv1D", "DepthwiseConv2D",
    "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D",
]
