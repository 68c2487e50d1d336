"""The shared part of the built-in recurrent cells: weights and their settings, dropout masks drawn once per
sequence, and a step split in two, so that a layer projects every time step's input with one matmul."""
from nnkit import activations, constraints, initializers, ops, regularizers
from nnkit.backends import active
from nnkit.layers.layer import Layer
from nnkit.layers.positive_integer import positive_integer
from nnkit.layers.random_keys import layer_key
from nnkit.layers.spatial_arguments import layer_label


class DropoutRNNCell(Layer):
    """Base of SimpleRNNCell, LSTMCell and GRUCell.

    A step is `project` (inputs @ kernel + input bias, for any number of leading axes, so a layer runs it
    once over the whole sequence) followed by `recur` (the part that needs the previous state).
    `gates` is the number of kernel blocks of `units` columns (1, 4 or 3)."""

    gates = 1
    splits_steps = True  # RNN may call dropout_masks / project / recur instead of call

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.units = positive_integer(layer_label(self), "units", units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.output_size = self.units

    @property
    def uses_randomness(self):
        return self.dropout > 0 or self.recurrent_dropout > 0

    @property
    def per_gate_masks(self):
        """With recurrent dropout, Keras draws one mask per gate (its `implementation=1`)."""
        return self.recurrent_dropout > 0 and self.gates > 1

    # --- weights ----------------------------------------------------------------------------------------
    def _add_kernels(self, input_dim, recurrent_columns=None):
        self.kernel = self.add_weight((input_dim, self.gates * self.units), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name="kernel")
        self.recurrent_kernel = self.add_weight(
            (self.units, recurrent_columns or self.gates * self.units), self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint, name="recurrent_kernel")

    def _add_bias(self, shape, initializer=None):
        self.bias = (self.add_weight(shape, initializer or self.bias_initializer, regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint, name="bias") if self.use_bias else None)

    def get_initial_state(self, batch_size):
        """Zero states, one (batch_size, size) array per entry of state_size."""
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [ops.zeros((batch_size, size), dtype=self.dtype) for size in sizes]

    # --- dropout ----------------------------------------------------------------------------------------
    def _draw(self, rate, shape, dtype, count):
        if rate <= 0:
            return None
        masks = [ops.dropout(ops.ones(shape, dtype=dtype), rate, layer_key(self.seed)) for _ in range(count)]
        return masks if count > 1 else masks[0]

    def dropout_masks(self, batch_size, input_dim, dtype, training):
        """(input mask, recurrent mask), each None, one (batch, n) array, or a list of one per gate; drawn
        once per sequence, as Keras does."""
        if not training:
            return None, None
        count = self.gates if self.per_gate_masks else 1
        return (self._draw(self.dropout, (batch_size, input_dim), dtype, count),
                self._draw(self.recurrent_dropout, (batch_size, self.units), dtype, count))

    # --- one step in two parts --------------------------------------------------------------------------
    def _input_bias(self):
        return self.bias

    def project(self, inputs, input_mask=None):
        """inputs @ kernel (+ input bias) over the last axis, for one step (batch, features) or a time-major
        sequence (time, batch, features), with the dropout mask (batch, features) applied."""
        if input_mask is None:
            projected = ops.matmul(inputs, self.kernel)
        elif isinstance(input_mask, list):
            blocks = ops.split(self.kernel, self.gates, axis=1)
            projected = ops.concatenate([ops.matmul(dropped(inputs, m), k) for m, k in zip(input_mask, blocks)],
                                        axis=-1)
        else:
            projected = ops.matmul(dropped(inputs, input_mask), self.kernel)
        bias = self._input_bias()
        return projected if bias is None else ops.add(projected, bias)

    def _fused_call(self, kind, inputs, input_mask, recurrent_mask):
        """(the backend's fused `kind` sequence primitive, the inputs with their dropout mask applied) when this
        call can take it: the backend has one, no recurrent dropout and Keras' default activations; else None (the
        generic steps run)."""
        kernel = active.backend.fused_recurrence(kind)
        if (kernel is None or recurrent_mask is not None or isinstance(input_mask, list)
                or self.activation is not activations.tanh or self.recurrent_activation is not activations.sigmoid):
            return None
        return kernel, inputs if input_mask is None else dropped(inputs, input_mask)

    def recur(self, projected, states, recurrent_mask=None):
        """(output, new states) from this step's projected input and the previous states."""
        raise NotImplementedError

    def _recurrent_product(self, h, recurrent_mask, kernel=None):
        """h @ recurrent kernel, with recurrent dropout on h (per gate block when the mask is a list)."""
        kernel = self.recurrent_kernel if kernel is None else kernel
        if recurrent_mask is None:
            return ops.matmul(h, kernel)
        if isinstance(recurrent_mask, list):
            blocks = ops.split(kernel, kernel.shape[1] // self.units, axis=1)
            return ops.concatenate([ops.matmul(ops.multiply(h, m), k) for m, k in zip(recurrent_mask, blocks)],
                                   axis=-1)
        return ops.matmul(ops.multiply(h, recurrent_mask), kernel)

    def call(self, inputs, states, training=False):
        """One step as Keras cells take it: (output, new states) from (batch, features) inputs."""
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        input_mask, recurrent_mask = self.dropout_masks(inputs.shape[0], inputs.shape[-1], inputs.dtype, training)
        return self.recur(self.project(inputs, input_mask), states, recurrent_mask)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


def dropped(inputs, mask):
    """`inputs`, one step (batch, n) or a time-major sequence (time, batch, n), times a (batch, n) dropout mask."""
    return ops.multiply(inputs, mask if len(inputs.shape) == 2 else ops.expand_dims(mask, 0))
