"""TimeDistributed: applies a layer to every time step (axis 1) of its input, with the same weights."""
from nnkit import ops
from nnkit.layers.layer import Layer
from nnkit.layers.serialization import deserialize, serialize


class TimeDistributed(Layer):
    """`layer` on each slice x[:, t], computed as one call on the batch and time axes merged."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed needs a Layer instance, received layer={layer!r}.")
        super().__init__(**kwargs)
        self.layer = layer

    @property
    def uses_randomness(self):
        return bool(getattr(self.layer, "uses_randomness", False))

    def _check_rank(self, shape):
        if len(shape) < 3:
            raise ValueError(f"TimeDistributed '{self.name}' expects inputs of rank 3 or more (batch, time, ...), "
                             f"received shape {tuple(shape)}.")

    def build(self, input_shape):
        self._check_rank(input_shape)
        if not self.layer.built:
            self.layer.build((input_shape[0],) + tuple(input_shape[2:]))

    def call(self, inputs, training=False):
        shape = tuple(inputs.shape)
        self._check_rank(shape)
        merged = ops.reshape(inputs, (shape[0] * shape[1],) + shape[2:])
        outputs = self.layer.call(merged, **self.layer._training_kwargs(training))
        return ops.reshape(outputs, shape[:2] + tuple(outputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        inner = self.layer.compute_output_shape((input_shape[0],) + tuple(input_shape[2:]))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def get_config(self):
        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        return cls(deserialize(config.pop("layer"), custom_objects), **config)
