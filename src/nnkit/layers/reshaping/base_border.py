"""The N-d layer that ZeroPadding1D/2D/3D and Cropping1D/2D/3D specialise: a (before, after) width per
spatial axis, added as zeros or cut away."""
from nnkit import ops
from nnkit.layers import spatial_arguments as arguments
from nnkit.layers.input_spec import InputSpec
from nnkit.layers.layer import Layer


class BaseBorder(Layer):
    """Widths come as Keras takes them: an int (every side), one entry per spatial axis (an int for both
    sides, or a (before, after) pair), or for 1-D layers one (before, after) pair. Subclasses set `rank`,
    `argument` (the constructor keyword: 'padding' or 'cropping') and implement `call`."""

    rank = None
    argument = None
    grows = True  # padding adds the widths to the spatial sizes, cropping takes them away
    has_data_format = True

    def __init__(self, widths, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = arguments.data_format(data_format, self)
        self.widths = self._pairs(widths)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _pairs(self, value):
        entries = [value] if self.rank == 1 else value
        if isinstance(value, int) and not isinstance(value, bool):
            entries = [value] * self.rank
        try:
            entries = list(entries)
        except TypeError:
            entries = []
        if len(entries) != self.rank:
            raise ValueError(f"{arguments.layer_label(self)}: {self.argument} must be an int or "
                             f"{self.rank} entries (ints or (before, after) pairs), received {value!r}.")
        return tuple(arguments.int_tuple(entry, 2, self.argument, self, allow_zero=True) for entry in entries)

    @property
    def _axes(self):
        return arguments.spatial_axes(self.rank, self.data_format)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (before, after) in zip(self._axes, self.widths):
            if shape[axis] is None:
                continue
            shape[axis] += before + after if self.grows else -(before + after)
            if shape[axis] <= 0:
                raise ValueError(f"{arguments.layer_label(self)}: {self.argument} {self.widths} must leave "
                                 f"every spatial axis non-empty, received input with shape {tuple(input_shape)}.")
        return tuple(shape)

    def get_config(self):
        config = {**super().get_config(), self.argument: self.widths[0] if self.rank == 1 else self.widths}
        if self.has_data_format:
            config["data_format"] = self.data_format
        return config


class BaseZeroPadding(BaseBorder):
    """Adds rows of zeros before and after each spatial axis."""

    argument = "padding"

    @property
    def padding(self):
        return self.widths[0] if self.rank == 1 else self.widths

    def call(self, inputs):
        widths = [(0, 0)] * len(inputs.shape)
        for axis, pair in zip(self._axes, self.widths):
            widths[axis] = pair
        return ops.pad(inputs, tuple(widths))


class BaseCropping(BaseBorder):
    """Cuts rows away from the start and end of each spatial axis."""

    argument = "cropping"
    grows = False

    @property
    def cropping(self):
        return self.widths[0] if self.rank == 1 else self.widths

    def call(self, inputs):
        self.compute_output_shape(tuple(inputs.shape))  # cropping everything away is a clear error
        index = [slice(None)] * len(inputs.shape)
        for axis, (before, after) in zip(self._axes, self.widths):
            index[axis] = slice(before, inputs.shape[axis] - after)
        return ops.getitem(inputs, tuple(index))
