"""Merge: the base of the layers that combine a list of tensors into one (Add, Multiply, Concatenate, ...)."""
from nnkit import ops
from nnkit.layers.layer import Layer


class Merge(Layer):
    """Combines a list of >= 2 tensors elementwise; non-batch axes broadcast as in Keras, batch sizes must agree.

    Subclasses implement `_merge_function(inputs)` on inputs already brought to one rank.
    """

    min_inputs = 2
    max_inputs = None
    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """Keras 3: an entry counts when it counts in any input; None as soon as one input has no mask."""
        masks = self._input_masks(inputs, mask)
        if masks is None or any(m is None for m in masks):
            return None
        merged = masks[0]
        for other in masks[1:]:
            merged = ops.logical_or(merged, other)
        return merged

    def _input_masks(self, inputs, mask):
        """The list of input masks, or None when no input has one; a ValueError unless one per input."""
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs one mask per input "
                             f"({len(inputs)}), received {mask!r}.")
        return None if all(m is None for m in mask) else list(mask)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def _check_inputs(self, shapes, sources=None):
        """Check every call, not only the first: a built merge layer may be called on other shapes."""
        super()._check_inputs(shapes, sources)
        self.compute_output_shape(shapes)

    def _input_shapes(self, input_shape):
        """The list of input shapes; a ValueError unless the layer got a list of enough tensors of rank >= 1."""
        is_list = isinstance(input_shape, (list, tuple)) and all(isinstance(s, (list, tuple)) for s in input_shape)
        count = len(input_shape) if is_list else 1
        too_many = self.max_inputs is not None and count > self.max_inputs
        if not is_list or count < self.min_inputs or too_many:
            expected = (f"exactly {self.min_inputs}" if self.min_inputs == self.max_inputs
                        else f"at least {self.min_inputs}")
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) must be called on a list of {expected} "
                             f"inputs, but received {count} input(s) with shape(s) {input_shape}.")
        shapes = [tuple(s) for s in input_shape]
        if any(len(s) == 0 for s in shapes):
            raise self._incompatible(shapes, "every input needs a batch axis (rank >= 1)")
        return shapes

    def _incompatible(self, shapes, reason):
        """The ValueError for inputs that cannot be merged, naming the layer and every received shape."""
        return ValueError(f"Layer '{self.name}' ({type(self).__name__}) received incompatible input shapes "
                          f"{shapes}: {reason}.")

    def _batch_size(self, shapes):
        sizes = {s[0] for s in shapes} - {None}
        if len(sizes) > 1:
            raise self._incompatible(shapes, f"the batch sizes {sorted(sizes)} differ")
        return sizes.pop() if sizes else None

    def compute_output_shape(self, input_shape):
        shapes = self._input_shapes(input_shape)
        output = shapes[0][1:]
        for shape in shapes[1:]:
            output = self._broadcast(output, shape[1:], shapes)
        return (self._batch_size(shapes),) + output

    def _broadcast(self, first, second, shapes):
        """Keras' _compute_elemwise_op_output_shape: per-sample shapes aligned on the right; None is unknown."""
        if len(first) < len(second):
            first, second = second, first
        if not second:
            return first
        output = list(first[:len(first) - len(second)])
        for axis, (i, j) in enumerate(zip(first[-len(second):], second), start=-len(second)):
            if i is None or j is None:
                output.append(None)
            elif i == 1 or j == 1 or i == j:
                output.append(j if i == 1 else i)
            else:
                raise self._incompatible(shapes, f"sizes {i} and {j} at axis {axis} do not broadcast")
        return tuple(output)

    def call(self, inputs):
        rank = max(len(x.shape) for x in inputs)
        return self._merge_function([_expand_to_rank(x, rank) for x in inputs])

    def _merge_function(self, inputs):
        raise NotImplementedError(f"Merge layer {type(self).__name__} does not implement _merge_function().")


def _expand_to_rank(x, rank):
    """`x` with size-1 axes inserted after the batch axis up to `rank`, so it broadcasts sample by sample."""
    missing = rank - len(x.shape)
    if not missing:
        return x
    return ops.reshape(x, (x.shape[0],) + (1,) * missing + tuple(x.shape[1:]))
