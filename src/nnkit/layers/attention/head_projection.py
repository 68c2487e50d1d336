"""HeadProjection: the dense projections inside MultiHeadAttention (Keras' EinsumDense sublayers): the last
`input_axes` axes of the input are contracted with a kernel of shape (*those axes, *output_shape)."""
import math

from nnkit import activations, ops
from nnkit.layers.layer import Layer


class HeadProjection(Layer):
    """x[..., *in] -> x[..., *output_shape] through a kernel (*in, *output_shape) and a bias (*output_shape);
    e.g. query (dim,) -> (num_heads, key_dim), attention output (num_heads, value_dim) -> (dim,)."""

    def __init__(self, output_shape, input_axes=1, use_bias=True, activation=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.projected_shape = tuple(output_shape)
        self.input_axes = input_axes
        self.use_bias = use_bias
        self.activation = None if activation is None else activations.get(activation)
        self.initializers = (kernel_initializer, bias_initializer)
        self.regularizers = (kernel_regularizer, bias_regularizer)
        self.constraints = (kernel_constraint, bias_constraint)

    def build(self, input_shape):
        contracted = tuple(input_shape[-self.input_axes:])
        if any(d is None for d in contracted):
            raise ValueError(f"Layer '{self.name}' needs the last {self.input_axes} axes of its input to be known, "
                             f"received shape {tuple(input_shape)}.")
        self.kernel = self.add_weight(contracted + self.projected_shape, self.initializers[0],
                                      regularizer=self.regularizers[0], constraint=self.constraints[0], name="kernel")
        self.bias = (self.add_weight(self.projected_shape, self.initializers[1], regularizer=self.regularizers[1],
                                     constraint=self.constraints[1], name="bias") if self.use_bias else None)

    def call(self, inputs):
        leading = tuple(inputs.shape[:-self.input_axes])
        contracted = math.prod(self.kernel.shape[:self.input_axes])
        flat = ops.reshape(inputs, leading + (contracted,))
        kernel = ops.reshape(self.kernel, (contracted, math.prod(self.projected_shape)))
        outputs = ops.reshape(ops.matmul(flat, kernel), leading + self.projected_shape)
        if self.bias is not None:
            outputs = ops.add(outputs, self.bias)
        return outputs if self.activation is None else self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-self.input_axes]) + self.projected_shape
