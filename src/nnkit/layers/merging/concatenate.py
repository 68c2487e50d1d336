"""Concatenate: joins a list of tensors along one axis."""
from nnkit import ops
from nnkit.layers.merging.base import Merge


class Concatenate(Merge):
    """Joins tensors along `axis`; every other axis (the batch axis included) must match, None matching any."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"Concatenate '{self.name}': axis must be an integer, received {axis!r}.")
        self.axis = axis

    def compute_output_shape(self, input_shape):
        shapes = self._input_shapes(input_shape)
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise self._incompatible(shapes, "all inputs must have the same rank")
        if not -rank <= self.axis < rank:
            raise self._incompatible(shapes, f"axis {self.axis} is out of range for inputs of rank {rank}")
        axis = self.axis % rank
        output = []
        for position, sizes in enumerate(zip(*shapes)):
            known = [d for d in sizes if d is not None]
            if position == axis:
                output.append(sum(known) if len(known) == len(sizes) else None)
            elif len(set(known)) > 1:
                raise self._incompatible(shapes, f"axis {position} differs ({sorted(set(known))}), but only the "
                                                 f"concatenation axis {self.axis} may differ")
            else:
                output.append(known[0] if known else None)
        return tuple(output)

    def call(self, inputs):
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        """Keras 3: the inputs' masks (all True for an input without one, widened to the input's rank)
        concatenated along `axis`, then reduced with any() over the last axis."""
        masks = self._input_masks(inputs, mask)
        if masks is None:
            return None
        full = []
        for x, m in zip(inputs, masks):
            if m is None:
                m = ops.ones_like(x, dtype="bool")
            elif len(m.shape) < len(x.shape):
                m = ops.logical_or(ops.expand_dims(m, -1), ops.zeros_like(x, dtype="bool"))
            full.append(m)
        return ops.any(ops.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of Concatenate: `concatenate([x1, x2], axis=-1)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)
