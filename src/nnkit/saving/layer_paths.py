"""Where each layer's variables live in Keras 3's weights layout: the model's layers and their sublayers
walked by attribute name (`layers/dense/vars/0`, an LSTM's `layers/lstm/cell/vars/0`), as Keras'
saving_lib walks them: a model's `layers` first (named by snake_case class name, made unique), then the
attributes and properties a layer's class adds that hold layers, in sorted order, private ones last; a layer
reached twice is stored once, at its first path."""
from nnkit.naming import snake_case

# Attributes of nnkit's own Layer and model classes that list layers for bookkeeping, not as sublayers.
_BOOKKEEPING = {"_tracked_layers", "_graph_layers", "_stack", "_plan"}


def _holds_layers(value):
    from nnkit.layers.layer import Layer

    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else (value,)
    return any(isinstance(item, (Layer, list, tuple, dict)) and (isinstance(item, Layer) or _holds_layers(item))
               for item in items)


def _base_names(layer):
    """Names nnkit's own Layer and model classes define: not sublayers of a particular layer class."""
    from nnkit.layers.layer import Layer
    from nnkit.models.functional import Functional
    from nnkit.models.model import Model
    from nnkit.models.sequential import Sequential

    bases = [base for base in (Layer, Model, Functional, Sequential) if isinstance(layer, base)]
    return set().union(*(dir(base) for base in bases)) | _BOOKKEEPING


def _children(layer):
    """(attribute name, layer or container) pairs of `layer`, in Keras' visiting order: every attribute or
    property its class adds (as Keras walks dir()), sorted with private names last."""
    from nnkit.models.functional import Functional
    from nnkit.models.model import Model

    if isinstance(layer, Functional):
        yield "layers", layer.layers
    skipped = _base_names(layer)
    attributes = {}
    for name in dir(layer):
        if name.startswith("__") or name in skipped:
            continue
        try:
            value = getattr(layer, name)
        except Exception:  # a property that cannot answer now holds no sublayer
            continue
        if _holds_layers(value):
            attributes[name] = value
    if isinstance(layer, Model) and not isinstance(layer, Functional):
        attributes["layers"] = layer.layers
    for name in sorted(attributes, key=lambda name: f"~{name}" if name.startswith("_") else name):
        yield name, attributes[name]


def _join(path, name):
    return f"{path}/{name}" if path else name


def _walk(layer, path, visited, found):
    if id(layer) in visited:
        return
    visited.add(id(layer))
    found.append((path, layer))
    for name, child in _children(layer):
        _walk_value(child, _join(path, name), visited, found)


def _walk_value(value, path, visited, found):
    from nnkit.layers.layer import Layer

    if isinstance(value, Layer):
        _walk(value, path, visited, found)
        return
    used = {}
    items = value.values() if isinstance(value, dict) else value
    for item in items:
        if isinstance(item, Layer):
            name = _unique(snake_case(type(item).__name__), used)
            _walk(item, _join(path, name), visited, found)
        elif isinstance(item, (list, tuple, dict)):
            _walk_value(item, _join(path, _unique("container", used)), visited, found)


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def layer_paths(model):
    """[(path, layer)] for the model (path '') and every layer inside it, in Keras' order. A variable the
    walk does not reach would silently be left out of files, so that is an error."""
    found = []
    _walk(model, "", set(), found)
    reached = {id(v) for _, layer in found for v in layer._own_variables}
    lost = [getattr(v, "path", v.name) for v in model.weights if id(v) not in reached]
    if lost:
        raise ValueError(f"Model '{model.name}' has variables {lost} that no layer attribute leads to, so they "
                         f"cannot be saved or loaded by path. Assign each sublayer to an attribute of its parent "
                         f"layer (self.dense = Dense(...)).")
    return found


def own_variables(layer):
    """The variables a layer stores under its own path: trainable first, then non-trainable (Keras' order)."""
    own = layer._own_variables
    return [v for v in own if v.trainable] + [v for v in own if not v.trainable]
