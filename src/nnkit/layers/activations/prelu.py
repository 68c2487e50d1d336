"""PReLU: a leaky ReLU whose negative slopes are learned weights."""
from nnkit import constraints, initializers, ops, regularizers
from nnkit.layers.input_spec import InputSpec
from nnkit.layers.layer import Layer


class PReLU(Layer):
    """relu(x) - alpha * relu(-x), with one learned slope per input element (Keras' layout: `alpha` has the
    shape of a sample), shared (size 1) along `shared_axes` (e.g. [1, 2] for one slope per image channel)."""

    supports_masking = True

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]

    def build(self, input_shape):
        rank = len(input_shape)
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis < rank:
                raise ValueError(f"PReLU '{self.name}': shared_axes must name non-batch axes 1..{rank - 1}, "
                                 f"received shared_axes={self.shared_axes} for input shape {tuple(input_shape)}.")
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(f"PReLU '{self.name}' needs every unshared axis of its input to be known, received "
                             f"shape {tuple(input_shape)}; share the unknown axes with shared_axes.")
        self.alpha = self.add_weight(shape, self.alpha_initializer, regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint, name="alpha")
        axes = {i: input_shape[i] for i in range(1, rank) if i not in (self.shared_axes or ())}
        self.input_spec = InputSpec(ndim=rank, axes=axes)

    def call(self, inputs):
        return ops.subtract(ops.relu(inputs), ops.multiply(self.alpha, ops.relu(ops.negative(inputs))))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }
