"""A functional model's graph to and from a JSON-ready config (Keras' layout: layers with their
inbound nodes, input_layers and output_layers as [layer name, node index, tensor index])."""
from nnkit.layers.input_layer import InputLayer
from nnkit.layers.serialization import deserialize, serialize
from nnkit.layers.symbolic import SymbolicTensor, flatten


def _history(tensor, node_index):
    node = tensor.node
    return [node.layer.name, node_index[id(node)], tensor.index]


def _encode_argument(value, node_index):
    """A call argument as Keras 3 writes it: each symbolic tensor a `__keras_tensor__` entry with its shape,
    dtype and keras_history; lists, tuples and dicts kept; other values (flags, numbers) as they are."""
    if isinstance(value, SymbolicTensor):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(value.shape), "dtype": value.dtype,
                           "keras_history": _history(value, node_index)}}
    if isinstance(value, dict):
        return {key: _encode_argument(item, node_index) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode_argument(item, node_index) for item in value]
    return value


def _decode_argument(value, tensors):
    """The inverse of _encode_argument, with tensors looked up by (layer name, node index); a KeyError
    while a tensor's layer has not been called yet."""
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        name, node, index = value["config"]["keras_history"]
        return tensors[(name, node)][index]
    if isinstance(value, dict):
        return {key: _decode_argument(item, tensors) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode_argument(item, tensors) for item in value]
    return value


def _encode_endpoints(structure, node_index):
    """input_layers/output_layers: [name, node, tensor] per tensor, in a list or dict as the model has them."""
    if isinstance(structure, dict):
        return {key: _encode_endpoints(value, node_index) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [_encode_endpoints(value, node_index) for value in structure]
    return _history(structure, node_index)


def _decode_endpoints(encoded, tensors):
    if isinstance(encoded, dict):
        return {key: _decode_endpoints(value, tensors) for key, value in encoded.items()}
    if len(encoded) == 3 and isinstance(encoded[0], str):
        name, node, index = encoded
        return tensors[(name, node)][index]
    return [_decode_endpoints(value, tensors) for value in encoded]


def _call_arguments(call):
    """(args, kwargs) of one inbound node: Keras 3's {"args", "kwargs"}, or tf.keras' list of
    [layer name, node index, tensor index, kwargs] (one positional argument: a tensor or a list of them)."""
    if isinstance(call, dict):
        return call.get("args", []), call.get("kwargs", {})
    references = [{"class_name": "__keras_tensor__", "config": {"keras_history": list(entry[:3])}}
                  for entry in call]
    kwargs = call[0][3] if call and len(call[0]) > 3 else {}
    return [references[0] if len(references) == 1 else references], kwargs


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
            {"args": _encode_argument([node.inputs, *node.args], node_index),
             "kwargs": _encode_argument(node.kwargs, node_index)}
            for node in per_layer.get(id(layer), []) if not isinstance(layer, InputLayer)
        ]
        layers.append(entry)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": _encode_endpoints(model._input_structure, node_index),
        "output_layers": _encode_endpoints(model._output_structure, node_index),
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
            args, kwargs = _call_arguments(call)
            try:
                args, kwargs = _decode_argument(args, tensors), _decode_argument(kwargs, tensors)
            except KeyError:
                waiting.append((name, index, call))
                continue
            outputs = created[name](*args, **kwargs)
            tensors[(name, index)] = flatten(outputs)
        if len(waiting) == len(pending):
            raise ValueError(f"The model config's graph cannot be rebuilt: layers {[w[0] for w in waiting]} wait "
                             f"for inputs that no layer produces.")
        pending = waiting
    return Functional(_decode_endpoints(config["input_layers"], tensors),
                      _decode_endpoints(config["output_layers"], tensors),
                      name=config.get("name"), trainable=config.get("trainable", True))
