"""UpSampling1D and UpSampling2D: each step (pixel) repeated, or for 2-D, bilinear interpolation."""
from nnkit import ops
from nnkit.layers import spatial_arguments as arguments
from nnkit.layers.input_spec import InputSpec
from nnkit.layers.layer import Layer


class UpSampling1D(Layer):
    """(batch, steps, features) -> (batch, size * steps, features), each step repeated `size` times."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = arguments.int_tuple(size, 1, "size", self)[0]
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return ops.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps * self.size, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """Scales rows and columns by `size`: 'nearest' repeats pixels, 'bilinear' interpolates linearly between
    pixel centres (half-pixel centres, edges clamped: Keras' image resize)."""

    _INTERPOLATIONS = ("nearest", "bilinear")

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = arguments.int_tuple(size, 2, "size", self)
        self.data_format = arguments.data_format(data_format, self)
        self.interpolation = str(interpolation).lower()
        if self.interpolation not in self._INTERPOLATIONS:
            raise ValueError(f"{arguments.layer_label(self)}: interpolation must be one of {self._INTERPOLATIONS}, "
                             f"received interpolation={interpolation!r}.")
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        for axis, factor in zip(arguments.spatial_axes(2, self.data_format), self.size):
            if self.interpolation == "nearest":
                inputs = ops.repeat(inputs, factor, axis=axis)
            else:
                inputs = _linear_upsample(inputs, factor, axis)
        return inputs

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, factor in zip(arguments.spatial_axes(2, self.data_format), self.size):
            shape[axis] = None if shape[axis] is None else shape[axis] * factor
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


def _linear_upsample(x, factor, axis):
    """`x` stretched `factor` times along `axis` by linear interpolation: output element i * factor + r reads
    the input at i + offset_r, offset_r = (r + 0.5) / factor - 0.5 in (-1/2, 1/2), the edges clamped. So it
    is x plus |offset_r| times the step to the next (or previous) element, an edge element's step being 0:
    shifted copies instead of a gather, whose gradient would be a slow scatter-add."""
    size, rank = x.shape[axis], len(x.shape)

    def along_axis(start, stop):
        index = [slice(None)] * rank
        index[axis] = slice(start, stop)
        return ops.getitem(x, tuple(index))

    step_to_next = ops.subtract(ops.concatenate([along_axis(1, None), along_axis(size - 1, None)], axis=axis), x)
    step_to_previous = ops.subtract(ops.concatenate([along_axis(0, 1), along_axis(0, size - 1)], axis=axis), x)
    pieces = []
    for r in range(factor):
        offset = (r + 0.5) / factor - 0.5
        step = step_to_next if offset > 0 else step_to_previous
        pieces.append(x if offset == 0 else ops.add(x, ops.multiply(step, abs(offset))))
    shape = list(x.shape)
    shape[axis] = size * factor
    return ops.reshape(ops.stack(pieces, axis=axis + 1), tuple(shape))
