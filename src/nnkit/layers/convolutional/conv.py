"""Conv1D, Conv2D, Conv3D: N-d convolution layers (and Keras' Convolution1D/2D/3D aliases)."""
from nnkit.layers.convolutional.base_conv import BaseConv


class Conv1D(BaseConv):
    """1-D convolution over (batch, steps, channels); padding may also be 'causal' (output t sees inputs <= t)."""

    rank = 1
    paddings = ("valid", "same", "causal")


class Conv2D(BaseConv):
    """2-D convolution over (batch, height, width, channels); kernel (kh, kw, channels / groups, filters)."""

    rank = 2


class Conv3D(BaseConv):
    """3-D convolution over (batch, depth, height, width, channels)."""

    rank = 3


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
