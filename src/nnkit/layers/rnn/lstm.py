"""LSTM and its cell (Keras' gate order i, f, c, o in one kernel of 4 * units columns)."""
import numpy as np

from nnkit import activations, ops
from nnkit.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from nnkit.layers.rnn.recurrent_layer import RecurrentLayer


class LSTMCell(DropoutRNNCell):
    """Long short-term memory: states [h, c]; c = f * c + i * activation(z_c), h = o * activation(c)."""

    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", unit_forget_bias=True, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [self.units, self.units]

    def build(self, input_shape):
        self._add_kernels(input_shape[-1])
        self._add_bias((4 * self.units,), self._forget_bias_initializer() if self.unit_forget_bias else None)

    def _forget_bias_initializer(self):
        """The bias initializer with ones for the forget gate's block (Keras' unit_forget_bias)."""
        units, initializer = self.units, self.bias_initializer

        def initialize(shape, dtype=None):
            return np.concatenate([np.asarray(initializer((units,), dtype=dtype)), np.ones(units, dtype=dtype),
                                   np.asarray(initializer((2 * units,), dtype=dtype))])

        return initialize

    def recur(self, projected, states, recurrent_mask=None):
        h, c = states
        units = self.units
        z = ops.add(projected, self._recurrent_product(h, recurrent_mask))
        gates = self.recurrent_activation(z)
        i = ops.getitem(gates, (slice(None), slice(0, units)))
        f = ops.getitem(gates, (slice(None), slice(units, 2 * units)))
        o = ops.getitem(gates, (slice(None), slice(3 * units, None)))
        candidate = self.activation(ops.getitem(z, (slice(None), slice(2 * units, 3 * units))))
        c = ops.add(ops.multiply(f, c), ops.multiply(i, candidate))
        h = ops.multiply(o, self.activation(c))
        return h, [h, c]

    def fused_sequence(self, inputs, states, input_mask=None, recurrent_mask=None):
        """(time-major outputs, [h, c]) of time-major `inputs` from the backend's fused LSTM sequence kernel, which
        also projects the inputs; None where the generic steps must run (see _fused_call)."""
        fused = self._fused_call("lstm", inputs, input_mask, recurrent_mask)
        if fused is None:
            return None
        kernel, inputs = fused
        steps = inputs.shape[0]
        sequence = kernel(inputs, self.kernel, self.bias, *states, self.recurrent_kernel)
        return ops.getitem(sequence, slice(0, steps)), [ops.getitem(sequence, steps - 1), ops.getitem(sequence, steps)]

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class LSTM(RecurrentLayer):
    """Long short-term memory layer (Hochreiter & Schmidhuber, 1997), Keras 3's arguments and weights."""

    cell_class = LSTMCell

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         unit_forget_bias=unit_forget_bias, **kwargs)
