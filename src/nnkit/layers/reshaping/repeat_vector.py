"""RepeatVector: (batch, features) -> (batch, n, features), the vector repeated n times."""
from nnkit import ops
from nnkit.layers import spatial_arguments as arguments
from nnkit.layers.input_spec import InputSpec
from nnkit.layers.layer import Layer


class RepeatVector(Layer):
    """Repeats each input vector `n` times along a new axis 1 (e.g. to feed an encoding to every decoder step)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = arguments.int_tuple(n, 1, "n", self)[0]
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
