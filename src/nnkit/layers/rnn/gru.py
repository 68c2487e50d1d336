"""GRU and its cell (Keras' gate order z, r, h; reset gate after the recurrent matmul by default)."""
from nnkit import activations, ops
from nnkit.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from nnkit.layers.rnn.recurrent_layer import RecurrentLayer


def _columns(x, start, stop=None):
    return ops.getitem(x, (slice(None), slice(start, stop)))


class GRUCell(DropoutRNNCell):
    """Gated recurrent unit: h = z * h_prev + (1 - z) * hh. With reset_after=True (the default, cuDNN's form)
    the bias is (2, 3 * units): input and recurrent biases."""

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", reset_after=True, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after
        self.state_size = self.units

    def build(self, input_shape):
        self._add_kernels(input_shape[-1])
        self._add_bias((2, 3 * self.units) if self.reset_after else (3 * self.units,))

    def _input_bias(self):
        if self.bias is None or not self.reset_after:
            return self.bias
        return ops.getitem(self.bias, 0)

    def recur(self, projected, states, recurrent_mask=None):
        h = states[0]
        units = self.units
        masks = recurrent_mask if isinstance(recurrent_mask, list) else [recurrent_mask] * 3
        if self.reset_after:
            inner = self._recurrent_product(h, recurrent_mask)
            if self.bias is not None:
                inner = ops.add(inner, ops.getitem(self.bias, 1))
            inner_zr, inner_h = _columns(inner, 0, 2 * units), _columns(inner, 2 * units)
        else:
            kernel_zr = _columns(self.recurrent_kernel, 0, 2 * units)
            inner_zr = self._recurrent_product(h, masks[:2] if masks[0] is not None else None, kernel_zr)
        zr = self.recurrent_activation(ops.add(_columns(projected, 0, 2 * units), inner_zr))
        z, r = _columns(zr, 0, units), _columns(zr, units)
        if self.reset_after:
            recurrent_h = ops.multiply(r, inner_h)
        else:
            reset = ops.multiply(r, h if masks[2] is None else ops.multiply(h, masks[2]))
            recurrent_h = ops.matmul(reset, _columns(self.recurrent_kernel, 2 * units))
        candidate = self.activation(ops.add(_columns(projected, 2 * units), recurrent_h))
        h = ops.add(candidate, ops.multiply(z, ops.subtract(h, candidate)))
        return h, [h]

    def fused_sequence(self, inputs, states, input_mask=None, recurrent_mask=None):
        """(time-major outputs, [h]) of time-major `inputs` from the backend's fused GRU sequence kernel (reset gate
        after the recurrent matmul), which also projects the inputs; None where the generic steps must run."""
        fused = self._fused_call("gru", inputs, input_mask, recurrent_mask) if self.reset_after else None
        if fused is None:
            return None
        kernel, inputs = fused
        biases = (None, None) if self.bias is None else (ops.getitem(self.bias, 0), ops.getitem(self.bias, 1))
        outputs = kernel(inputs, self.kernel, biases[0], states[0], self.recurrent_kernel, biases[1])
        return outputs, [ops.getitem(outputs, -1)]

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


class GRU(RecurrentLayer):
    """Gated recurrent unit layer (Cho et al., 2014), Keras 3's arguments and weights."""

    cell_class = GRUCell

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", reset_after=True, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         reset_after=reset_after, **kwargs)
