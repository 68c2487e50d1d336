"""Layers to and from {'class_name', 'config'} dictionaries, looked up by class name only (no code runs)."""
import inspect


def _registry():
    import nnkit.layers as layers_module
    import nnkit.models as models_module
    from nnkit.layers.layer import Layer

    known = {}
    for module in (layers_module, models_module):
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, Layer):
                known[name] = value
    return known


def serialize(layer):
    """{'class_name': ..., 'config': ...} for a layer or model."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config, custom_objects=None):
    """A new layer from serialize()'s dictionary; custom classes come from `custom_objects`."""
    custom_objects = custom_objects or {}
    class_name = config["class_name"]
    cls = custom_objects.get(class_name) or _registry().get(class_name)
    if cls is None:
        raise ValueError(f"Unknown layer class '{class_name}'. Pass custom classes in custom_objects="
                         f"{{'{class_name}': {class_name}}}.")
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(config["config"], custom_objects=custom_objects)
    return cls.from_config(config["config"])
