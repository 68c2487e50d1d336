"""Lambda: wraps an arbitrary function of arrays (written with nnkit.ops) as a layer."""
import base64
import importlib
import marshal
import types

from nnkit.layers.layer import Layer


def _function_config(function):
    """Keras 3's record of a Lambda's function: a named function by module and name, a lambda expression
    by its bytecode (which only safe_mode=False will ever run again)."""
    if getattr(function, "__name__", None) == "<lambda>":
        closure = tuple(cell.cell_contents for cell in function.__closure__) if function.__closure__ else None
        return {"class_name": "__lambda__", "config": {
            "code": base64.b64encode(marshal.dumps(function.__code__)).decode("ascii"),
            "defaults": function.__defaults__, "closure": closure}}
    from nnkit.saving.registry import get_registered_name

    name = get_registered_name(function)
    return {"module": getattr(function, "__module__", None), "class_name": "function", "config": name,
            "registered_name": name}


def _lambda_globals():
    """The global names a restored lambda expression sees: builtins, `ops` and `nnkit`."""
    import builtins

    import nnkit

    return {"__builtins__": builtins, "ops": nnkit.ops, "nnkit": nnkit}


def _restored_function(stored, layer_name, custom_objects):
    """The function a config names: from custom_objects or the registry, else (safe_mode=False only)
    imported by module and name, or rebuilt from a lambda's bytecode."""
    from nnkit.saving.registry import get_registered_object
    from nnkit.saving.safe_mode import in_safe_mode

    if isinstance(stored, str):
        stored = {"class_name": "function", "config": stored, "module": None}
    name = stored["config"] if stored["class_name"] == "function" else "<lambda>"
    if stored["class_name"] == "function":
        found = get_registered_object(name, custom_objects)
        if found is not None:
            return found
    if in_safe_mode():
        raise ValueError(
            f"Lambda layer '{layer_name}' wraps the Python function '{name}'. Restoring it would run code named by "
            f"or stored in the file, which loading refuses by default. If you trust the file, pass "
            f"safe_mode=False (e.g. nnkit.models.load_model(path, safe_mode=False)); or pass the function in "
            f"custom_objects={{'{name}': {name if name != '<lambda>' else 'fn'}}}.")
    if stored["class_name"] == "__lambda__":
        config = stored["config"]
        code = marshal.loads(base64.b64decode(config["code"]))
        closure = config.get("closure")
        cells = tuple(types.CellType(value) for value in closure) if closure else None
        defaults = tuple(config["defaults"]) if config.get("defaults") else None
        return types.FunctionType(code, _lambda_globals(), "<lambda>", defaults, cells)
    module = stored.get("module")
    if not module:
        raise ValueError(f"Lambda layer '{layer_name}': the config names function '{name}' without its module; "
                         f"pass it in custom_objects={{'{name}': {name}}}.")
    return getattr(importlib.import_module(module), name.split(">")[-1])


class Lambda(Layer):
    """Calls `function(inputs, **arguments)`. Its config records the function; loading it back needs the
    function in `custom_objects` (or registered), or safe_mode=False, because loading never runs stored code.
    A lambda expression restored with safe_mode=False sees the globals `ops` and `nnkit` only."""

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
        return {**super().get_config(), "function": _function_config(self.function),
                "output_shape": None if output_shape is None else list(output_shape), "arguments": self.arguments}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["function"] = _restored_function(config["function"], config.get("name"), custom_objects)
        return cls(**config)
