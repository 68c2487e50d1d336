"""Lambda: wraps an arbitrary function of arrays (written with nnkit.ops) as a layer."""
from nnkit.layers.layer import Layer


class Lambda(Layer):
    """Calls `function(inputs, **arguments)`. Its config names the function; rebuilding it from a config
    needs the function passed in `custom_objects`, because loading never executes stored code."""

    def __init__(self, function, output_shape=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda '{self.name}': function must be callable, received {function!r}.")
        self.function = function
        self.output_shape = output_shape
        self.arguments = dict(arguments or {})

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if self.output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self.output_shape):
            return tuple(self.output_shape(input_shape))
        return (input_shape[0],) + tuple(self.output_shape)

    def get_config(self):
        output_shape = self.output_shape if not callable(self.output_shape) else None
        return {**super().get_config(), "function": getattr(self.function, "__name__", repr(self.function)),
                "output_shape": None if output_shape is None else list(output_shape), "arguments": self.arguments}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        name = config["function"]
        function = (custom_objects or {}).get(name)
        if function is None:
            raise ValueError(
                f"Lambda layer '{config.get('name')}' wraps the function '{name}', whose code is not stored "
                f"in configs. Pass it in custom_objects={{'{name}': {name}}} to rebuild the layer."
            )
        config["function"] = function
        return cls(**config)
