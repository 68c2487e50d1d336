"""nnkit.ops: the differentiable primitives that layers, losses, metrics and optimizers are written in.

Each op accepts arrays of the active backend, Variables and (while nnkit's tape records) Tracers.
"""
from nnkit.ops.convolution import *  # noqa: F401,F403  (names listed in its __all__)
from nnkit.ops.ctc import ctc_loss
from nnkit.ops.creation import arange, convert_to_tensor, eye, full, ones, ones_like, zeros, zeros_like
from nnkit.ops.gradients import grad, value_and_grad
from nnkit.ops.linalg import matmul
from nnkit.ops.math import (
    abs, add, cast, clip, cos, divide, equal, erf, exp, expm1, floor, greater, greater_equal, isfinite,
    isnan, less, less_equal, log, log1p, logical_and, logical_not, logical_or, maximum, minimum,
    multiply, negative, not_equal, power, reciprocal, round, sign, sin, sqrt, square, stop_gradient,
    subtract, tanh, where,
)
from nnkit.ops.nn import (
    binary_crossentropy, categorical_crossentropy, dropout, elu, gelu, hard_sigmoid, hard_silu,
    leaky_relu, log_softmax, moments, one_hot, relu, relu6, selu, sigmoid, sigmoid_cross_entropy,
    sigmoid_probability_cross_entropy, silu, softmax, softmax_cross_entropy, softmax_probability_cross_entropy,
    softplus, softsign, sparse_categorical_crossentropy, sparse_softmax_cross_entropy,
    sparse_softmax_probability_cross_entropy, take, take_along_axis,
)
from nnkit.ops.pooling import *  # noqa: F401,F403  (names listed in its __all__)
from nnkit.ops.primitive import Primitive, primitive
from nnkit.ops.reduction import (
    all, any, argmax, argmin, argsort, logsumexp, max, mean, min, norm, prod, std, sum, var,
)
from nnkit.ops.shape import (
    broadcast_to, concatenate, expand_dims, getitem, ndim, pad, repeat, reshape, shape, split, squeeze,
    stack, swapaxes, tile, transpose,
)
from nnkit.ops.variable import Variable

swish = silu
