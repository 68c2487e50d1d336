"""Models to and from Keras 3's config format ({'module', 'class_name', 'config', 'registered_name'} for every
object, DTypePolicy dtypes), so configs move between nnkit and Keras. Objects are
found by registered name or in `custom_objects`; nothing is imported or evaluated from a config."""
import functools
import inspect

from nnkit.keywords import accepted_keywords
from nnkit.saving import registry
from nnkit.saving.safe_mode import safe_mode_scope

# Keras-only keys that carry no meaning in nnkit when they hold their default (None, False, or a value here).
_DEFAULT_VALUES = (None, False, {}, [])
_KERAS_ONLY_DEFAULTS = {"renorm_momentum": 0.99}
_DROPPED_KEYS = ("module", "registered_name", "shared_object_id", "build_config", "compile_config")
_DTYPE_POLICIES = ("DTypePolicy", "FloatDTypePolicy", "Policy")  # Policy: tf.keras 2's mixed precision
# A functional model's graph: kept as graph_config writes and reads it (Keras 3's layout already).
_GRAPH_KEYS = ("layers", "input_layers", "output_layers")


@functools.lru_cache(maxsize=None)
def _families():
    """(Keras module, {class name: nnkit class}) for every kind of object a config may name."""
    import nnkit
    from nnkit import constraints, dtype_policies, initializers, losses, metrics, optimizers, regularizers
    from nnkit.layers.serialization import _registry
    from nnkit.optimizers import schedules

    def classes(module):
        return {name: value for name, value in vars(module).items() if inspect.isclass(value)}

    layer_classes = _registry()
    models = {name: cls for name, cls in layer_classes.items() if issubclass(cls, nnkit.Model)}
    return [("keras", models), ("keras", classes(dtype_policies)), ("keras.layers", layer_classes), ("keras.initializers", classes(initializers)),
            ("keras.regularizers", classes(regularizers)), ("keras.constraints", classes(constraints)),
            ("keras.optimizers.schedules", classes(schedules)), ("keras.optimizers", classes(optimizers)),
            ("keras.losses", classes(losses)), ("keras.metrics", classes(metrics))]


def _find_class(class_name, registered, custom_objects):
    """(nnkit class or None, Keras module) of a config's class."""
    found = registry.get_registered_object(registered or class_name, custom_objects) if (
        registered or custom_objects) else None
    if found is not None:
        return found, None
    for module, classes in _families():
        if class_name in classes:
            return classes[class_name], module
    return None, None


# --- nnkit -> Keras -----------------------------------------------------------------------------------------
def _exported(value):
    """A nested config value with Keras' module and registered_name on every {'class_name', 'config'} dict."""
    if isinstance(value, dict):
        converted = {key: _exported(item) for key, item in value.items()}
        if "class_name" in value and "config" in value and value["class_name"] not in ("function", "__lambda__"):
            cls, module = _find_class(value["class_name"], None, None)
            registered = registry.registered_name(cls) if cls is not None else None
            converted.setdefault("module", None if registered else module)
            converted.setdefault("registered_name", registered)
        return converted
    if isinstance(value, (list, tuple)):
        return [_exported(item) for item in value]
    return value


def serialize_layer(layer):
    """A layer or model as Keras 3 serializes it (nested models and graphs included)."""
    from nnkit.layers.input_layer import InputLayer
    from nnkit.models.functional import Functional
    from nnkit.models.sequential import Sequential

    config = layer.get_config()
    if isinstance(layer, InputLayer):
        config = {"batch_shape": config.pop("batch_input_shape"), **config}
    else:  # the model's InputLayer carries the shape; Keras 3 layers take no batch_input_shape
        config.pop("batch_input_shape", None)
    if isinstance(layer, Sequential):
        entries = ([layer._input.node.layer] if layer._input is not None else []) + layer.layers
        config = {**config, "layers": [serialize_layer(sub) for sub in entries]}
    elif isinstance(layer, Functional):
        config = {**config, "layers": [
            {**serialize_layer(sub), "name": sub.name, "inbound_nodes": entry["inbound_nodes"]}
            for sub, entry in zip(layer.layers, config["layers"])]}
    config = {key: value if key in _GRAPH_KEYS else _exported(value) for key, value in config.items()}
    class_name = type(layer).__name__
    cls, module = _find_class(class_name, None, None)
    registered = registry.registered_name(type(layer))
    if cls is None and registered is None:  # as Keras writes unregistered classes: loading needs custom_objects
        return {"module": type(layer).__module__, "class_name": class_name, "config": config,
                "registered_name": class_name}
    if class_name == "Functional":  # where Keras 3 keeps (and looks for) its functional model class
        return {"module": "keras.src.models.functional", "class_name": class_name, "config": config,
                "registered_name": "Functional"}
    return {"module": None if registered else module, "class_name": class_name, "config": config,
            "registered_name": registered}


# --- Keras -> nnkit -----------------------------------------------------------------------------------------
def _normalized(value, custom_objects):
    """A Keras (or nnkit) config value as nnkit's from_config methods take it."""
    if isinstance(value, list):
        return [_normalized(item, custom_objects) for item in value]
    if not isinstance(value, dict):
        return value
    if value.get("class_name") in _DTYPE_POLICIES:
        return value["config"]["name"]
    if value.get("class_name") in ("function", "__lambda__"):  # a Lambda's function: its module stays
        return value
    if "class_name" not in value or "config" not in value or not isinstance(value["config"], dict):
        return {key: _normalized(item, custom_objects) for key, item in value.items() if key not in _DROPPED_KEYS}
    class_name = value["class_name"]
    cls, _ = _find_class(class_name, value.get("registered_name"), custom_objects)
    config = dict(value["config"])
    if class_name == "InputLayer" and "batch_shape" in config:
        config["batch_input_shape"] = config.pop("batch_shape")
    graph = "input_layers" in config
    config = {key: item if graph and key in _GRAPH_KEYS else _normalized(item, custom_objects)
              for key, item in config.items()}
    if graph:
        config["layers"] = [
            {**_normalized(entry, custom_objects), "name": entry.get("name", entry["config"].get("name")),
             "inbound_nodes": [_without_default_kwargs(node) for node in entry.get("inbound_nodes", [])]}
            for entry in config["layers"]]
    if inspect.isclass(cls):
        known = _constructor_keywords(cls)
        config = {key: item for key, item in config.items()
                  if key in known or not (any(item is d or item == d for d in _DEFAULT_VALUES)
                                          or _KERAS_ONLY_DEFAULTS.get(key, ...) == item)}
    return {"class_name": class_name, "config": config}


def _without_default_kwargs(node):
    """A Keras inbound node without its None-valued call keywords (Keras records `mask=None`), which every
    nnkit layer's call takes as its default anyway."""
    if not isinstance(node, dict):
        return node
    return {**node, "kwargs": {key: value for key, value in node.get("kwargs", {}).items() if value is not None}}


@functools.lru_cache(maxsize=None)
def _constructor_keywords(cls):
    """The keywords `cls`'s constructors accept (a model's graph keys too)."""
    from nnkit.layers.layer import Layer

    known = accepted_keywords(cls)
    return known | set(_GRAPH_KEYS) if issubclass(cls, Layer) else known


def custom_objects_with_registered(custom_objects=None):
    """`custom_objects` plus every registered class under its registered and its short name."""
    merged = {}
    for name, obj in registry.registered_objects().items():
        merged[name] = obj
        merged.setdefault(name.split(">")[-1], obj)
    merged.update(custom_objects or {})
    return merged


def deserialize_layer(config, custom_objects=None, safe_mode=True):
    """A layer or model from a Keras 3, Keras 2 or nnkit config dict."""
    from nnkit.layers.serialization import deserialize

    custom_objects = custom_objects_with_registered(custom_objects)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A model config must be a dict with 'class_name' and 'config'; received "
                         f"{type(config).__name__}.")
    with safe_mode_scope(safe_mode):
        return deserialize(_normalized(config, custom_objects), custom_objects)


def normalized_object(config, custom_objects=None):
    """A nested (non-layer) object config, e.g. an optimizer or loss, as nnkit's deserializers take it."""
    return _normalized(config, custom_objects_with_registered(custom_objects))
