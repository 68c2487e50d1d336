"""Permute: reorders the non-batch axes of each sample."""
from nnkit import ops
from nnkit.layers.input_spec import InputSpec
from nnkit.layers.layer import Layer


class Permute(Layer):
    """`dims` is a permutation of 1..n (the batch axis, 0, stays first): Permute((2, 1)) swaps two axes."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute '{self.name}': dims must be a permutation of 1..{len(self.dims)} (the batch "
                             f"axis 0 stays in place), received dims={tuple(dims)}.")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}
