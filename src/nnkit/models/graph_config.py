"""A functional model's graph to and from a JSON-ready config (Keras' layout: layers with their
inbound nodes, input_layers and output_layers as [layer name, node index, tensor index])."""
from nnkit.layers.input_layer import InputLayer
from nnkit.layers.serialization import deserialize, serialize
from nnkit.layers.symbolic import flatten


def _history(tensor, node_index):
    node = tensor.node
    return [node.layer.name, node_index[id(node)], tensor.index]


def _encode(structure, node_index):
    if isinstance(structure, dict):
        return {"dict": {key: _encode(value, node_index) for key, value in structure.items()}}
    if isinstance(structure, (list, tuple)):
        return {"list": [_encode(value, node_index) for value in structure]}
    return {"keras_history": _history(structure, node_index)}


def _decode(encoded, tensors):
    if "dict" in encoded:
        return {key: _decode(value, tensors) for key, value in encoded["dict"].items()}
    if "list" in encoded:
        return [_decode(value, tensors) for value in encoded["list"]]
    name, node, index = encoded["keras_history"]
    return tensors[(name, node)][index]


def functional_config(model):
    """The config of a functional model: every layer once (shared layers too) with the calls made in it."""
    input_nodes = [t.node for t in model.inputs]
    nodes = input_nodes + [n for n in model._nodes if n not in input_nodes]
    node_index, per_layer = {}, {}
    for node in nodes:
        calls = per_layer.setdefault(id(node.layer), [])
        node_index[id(node)] = len(calls)
        calls.append(node)
    layers = []
    for layer in model.layers:
        entry = serialize(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            {"args": _encode(node.inputs, node_index), "kwargs": node.kwargs}
            for node in per_layer.get(id(layer), []) if not isinstance(layer, InputLayer)
        ]
        layers.append(entry)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": _encode(model._input_structure, node_index),
        "output_layers": _encode(model._output_structure, node_index),
    }


def functional_from_config(config, custom_objects=None):
    """Rebuild the graph: create each layer once, then replay the calls as their inputs become available."""
    from nnkit.models.functional import Functional

    created = {entry["name"]: deserialize(entry, custom_objects) for entry in config["layers"]}
    tensors = {}
    pending = []
    for entry in config["layers"]:
        layer = created[entry["name"]]
        if isinstance(layer, InputLayer):
            tensors[(entry["name"], 0)] = [layer.output]
        for index, call in enumerate(entry["inbound_nodes"]):
            pending.append((entry["name"], index, call))
    while pending:
        waiting = []
        for name, index, call in pending:
            try:
                arguments = _decode(call["args"], tensors)
            except KeyError:
                waiting.append((name, index, call))
                continue
            outputs = created[name](arguments, **call.get("kwargs", {}))
            tensors[(name, index)] = flatten(outputs)
        if len(waiting) == len(pending):
            raise ValueError(f"The model config's graph cannot be rebuilt: layers {[w[0] for w in waiting]} wait "
                             f"for inputs that no layer produces.")
        pending = waiting
    return Functional(_decode(config["input_layers"], tensors), _decode(config["output_layers"], tensors),
                      name=config.get("name"), trainable=config.get("trainable", True))
