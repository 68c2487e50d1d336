"""InputLayer and Input(): the entry points of a model graph."""
from nnkit.config import floatx
from nnkit.layers.layer import Layer
from nnkit.layers.symbolic import Node


class InputLayer(Layer):
    """Declares a model input of a given per-sample shape; calling a model feeds data through it."""

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, input_shape=None,
                 batch_input_shape=None, **kwargs):
        if shape is None and input_shape is not None:
            shape = input_shape
        if batch_input_shape is not None:
            batch_size, shape = batch_input_shape[0], batch_input_shape[1:]
        if shape is None:
            raise ValueError("InputLayer needs a shape, e.g. InputLayer(shape=(784,)).")
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        super().__init__(name=name, dtype=dtype or floatx(), **kwargs)
        self._batch_input_shape = (batch_size,) + shape
        self.built = True
        Node(self, [], {}, self._batch_input_shape, self.dtype).outputs[0].name = self.name

    @property
    def batch_shape(self):
        return self._batch_input_shape

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "batch_input_shape": list(self._batch_input_shape)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("trainable", None)
        return cls(**config)


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):
    """A symbolic input tensor: `x = Input(shape=(784,))` starts a functional model."""
    if batch_shape is not None:
        layer = InputLayer(batch_input_shape=batch_shape, dtype=dtype, name=name)
    else:
        layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name)
    return layer.output
