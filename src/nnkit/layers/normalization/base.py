"""What the normalization layers share: axis checking, the gamma/beta weights and their configuration,
and the normalize-scale-shift formula written with nnkit.ops."""
import numbers

from nnkit import constraints, initializers, ops, regularizers
from nnkit.layers.input_spec import InputSpec
from nnkit.layers.layer import Layer
from nnkit.layers.spatial_arguments import layer_label


def normalize(x, mean, variance, gamma, beta, epsilon):
    """(x - mean) / sqrt(variance + epsilon) * gamma + beta, folded into one multiply and one add of x
    (Keras' order of operations); mean, gamma and beta may be None (no centering, scaling, shift)."""
    inverse = ops.reciprocal(ops.sqrt(ops.add(variance, epsilon)))
    if gamma is not None:
        inverse = ops.multiply(inverse, gamma)
    shift = None if mean is None else ops.negative(ops.multiply(mean, inverse))
    if beta is not None:
        shift = beta if shift is None else ops.add(shift, beta)
    outputs = ops.multiply(x, inverse)
    return outputs if shift is None else ops.add(outputs, shift)


def axis_argument(layer_name, axis):
    """An int axis or a list of int axes, as the layers' `axis` argument accepts; else a TypeError."""
    if isinstance(axis, (list, tuple)) and axis and all(_is_int(a) for a in axis):
        return [int(a) for a in axis]
    if _is_int(axis):
        return int(axis)
    raise TypeError(f"{layer_name}: axis must be an int or a list of ints, received {axis!r}.")


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def checked_axes(layer_name, axis, input_shape):
    """The axes of `axis` (int or list) as sorted non-negative ints, checked against `input_shape`."""
    rank = len(input_shape)
    axes = [axis] if isinstance(axis, int) else list(axis)
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(f"{layer_name}: axis {a} is out of bounds for an input of rank {rank} "
                             f"(shape {tuple(input_shape)}); valid axes are {-rank}..{rank - 1}. Received axis={axis}.")
    positive = sorted({a % rank for a in axes})
    if len(positive) != len(axes):
        raise ValueError(f"{layer_name}: axis {axis} names the same axis twice for an input of rank {rank}.")
    return positive


class Normalization(Layer):
    """Base of the layers that normalize over some axes and then scale by gamma and shift by beta."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis_argument(self._label, axis)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma = self.beta = None
        self.supports_masking = True

    @property
    def _label(self):
        return layer_label(self)

    def _weight_shape(self, input_shape):
        """Check `axis` against the input, fix the input's rank and the sizes of `axis` (InputSpec), note how
        weights of the returned shape broadcast against the input (`_broadcast`)."""
        axes = checked_axes(self._label, self.axis, input_shape)
        sizes = tuple(input_shape[a] for a in axes)
        if any(size is None for size in sizes):
            raise ValueError(f"{self._label} needs the size of axis {self.axis} to be known to create its weights, "
                             f"received input shape {tuple(input_shape)}.")
        rank = len(input_shape)
        broadcast = [1] * rank
        for a, size in zip(axes, sizes):
            broadcast[a] = size
        self._axes = tuple(axes)
        self._broadcast_shape = None if axes == [rank - 1] else tuple(broadcast)
        self.input_spec = InputSpec(ndim=rank, axes=dict(zip(axes, sizes)))
        return sizes

    @staticmethod
    def _in_float32(inputs):
        """Half-precision inputs as float32: statistics of float16 activations overflow, so under a mixed dtype
        policy the normalization computes in float32 (as Keras does); the layer's output is cast back."""
        return ops.cast(inputs, "float32") if inputs.dtype.name in ("float16", "bfloat16") else inputs

    def _broadcast(self, value, dtype):
        """A statistic or weight (or None) in the input's dtype, shaped to broadcast against the input."""
        if value is None:
            return None
        if value.dtype != dtype:
            value = ops.cast(value, dtype)
        return value if self._broadcast_shape is None else ops.reshape(value, self._broadcast_shape)

    def _add_gamma_and_beta(self, shape, with_gamma=None, with_beta=None):
        """gamma (when scaling) then beta (when centering): Keras' order of the trainable weights."""
        if self.scale if with_gamma is None else with_gamma:
            self.gamma = self.add_weight(shape, self.gamma_initializer, regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, autocast=False, name="gamma")
        if self.center if with_beta is None else with_beta:
            self.beta = self.add_weight(shape, self.beta_initializer, regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, autocast=False, name="beta")

    def compute_output_shape(self, input_shape):
        checked_axes(self._label, self.axis, input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
