"""Sequential: a linear stack of layers, run as a chain graph by the functional machinery."""
from nnkit.layers.input_layer import Input, InputLayer
from nnkit.layers.layer import Layer
from nnkit.layers.symbolic import SymbolicTensor, flatten
from nnkit.models.functional import Functional
from nnkit.models.model import Model


class Sequential(Functional):
    """Layers applied one after another. Only the first needs an input shape (or an Input); without one
    the model is built from the first data it sees."""

    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        Model.__init__(self, name=name, trainable=trainable, **kwargs)
        self._stack = []
        self._input = None
        self._output = None
        self.built = False
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return list(self._stack)

    @property
    def _sublayers(self):
        return self._stack

    def add(self, layer):
        """Append a layer; its input shape is checked against the previous layer's output at once."""
        if isinstance(layer, SymbolicTensor) and isinstance(layer.node.layer, InputLayer):
            layer = layer.node.layer
        if isinstance(layer, InputLayer):
            if self._stack or self._input is not None:
                raise ValueError(f"Sequential '{self.name}': an Input can only be the first layer.")
            self._input = self._output = layer.output
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential '{self.name}' can only stack layers; received {layer!r}.")
        if self._input is None and not self._stack and layer._batch_input_shape is not None:
            self._input = self._output = Input(batch_shape=layer._batch_input_shape)
        if self._output is not None:
            self._output = self._apply(layer, self._output)
        self._stack.append(layer)
        if self._output is not None:
            self._init_graph(self._input, self._output)

    def _apply(self, layer, tensor):
        try:
            return layer(tensor)
        except ValueError as error:
            previous = self._stack[-1].name if self._stack else tensor.node.layer.name
            raise ValueError(
                f"Sequential '{self.name}': layer '{layer.name}' cannot follow layer '{previous}', whose output "
                f"has shape {tensor.shape}. {error}"
            ) from error

    def pop(self):
        """Remove the last layer."""
        if not self._stack:
            raise ValueError(f"Sequential '{self.name}' has no layers to pop.")
        self._stack.pop()
        if self._input is not None:
            self._output = self._input
            for layer in self._stack:
                self._output = self._apply(layer, self._output)
            self._init_graph(self._input, self._output)

    def build(self, input_shape=None):
        """Build the chain for inputs of `input_shape` (batch axis included)."""
        if self._input is not None:
            return
        if input_shape is None:
            raise ValueError(f"Sequential '{self.name}' needs an input shape: build(input_shape) or fit on data.")
        self._input = self._output = Input(batch_shape=(None,) + tuple(input_shape)[1:])
        for layer in self._stack:
            self._output = self._apply(layer, self._output)
        self._init_graph(self._input, self._output)

    def _ensure_built(self, shapes):
        if self._input is None:
            self.build(shapes)

    def _flatten_inputs(self, inputs):
        return flatten(inputs) if self._input is None else super()._flatten_inputs(inputs)

    def _check_input_shapes(self, xs):
        if self._input is not None:
            super()._check_input_shapes(xs)

    def _build_for_inputs(self, host_inputs):
        if self._input is None:
            self.build((None,) + tuple(host_inputs[0].shape[1:]))

    @property
    def _graph_layers(self):
        return self._stack

    @_graph_layers.setter
    def _graph_layers(self, value):
        """The chain's layers are the stack itself."""

    @property
    def input_names(self):
        return [self._input.node.layer.name] if self._input is not None else ["input"]

    @property
    def output_names(self):
        return [self._stack[-1].name] if self._stack else ["output"]

    def get_config(self):
        from nnkit import dtype_policies
        from nnkit.layers.serialization import serialize

        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": dtype_policies.serialize(self.dtype_policy), "layers": []}
        if self._input is not None:
            config["layers"].append(serialize(self._input.node.layer))
        config["layers"] += [serialize(layer) for layer in self._stack]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from nnkit.layers.serialization import deserialize

        model = cls(name=config.get("name"), trainable=config.get("trainable", True), dtype=config.get("dtype"))
        for layer_config in config["layers"]:
            model.add(deserialize(layer_config, custom_objects))
        return model
