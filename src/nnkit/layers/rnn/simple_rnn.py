"""SimpleRNN and its cell: h_t = activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel)."""
from nnkit import ops
from nnkit.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from nnkit.layers.rnn.recurrent_layer import RecurrentLayer


class SimpleRNNCell(DropoutRNNCell):
    """The fully connected recurrent cell; weights kernel (in, units), recurrent_kernel (units, units), bias."""

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.state_size = self.units

    def build(self, input_shape):
        self._add_kernels(input_shape[-1])
        self._add_bias((self.units,))

    def recur(self, projected, states, recurrent_mask=None):
        h = self.activation(ops.add(projected, self._recurrent_product(states[0], recurrent_mask)))
        return h, [h]


class SimpleRNN(RecurrentLayer):
    """A fully connected RNN whose output is fed back as the next step's state."""

    cell_class = SimpleRNNCell

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(units, activation=activation, **kwargs)


__all__ = ["SimpleRNN", "SimpleRNNCell"]
