"""model.summary(): Keras' text table of layers, output shapes, parameter counts (and graph links)."""
import numpy as np

from nnkit.layers.input_layer import InputLayer
from nnkit.models.sequential import Sequential


def _format_bytes(count):
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024


def _count(variables):
    return int(sum(np.prod(v.shape, dtype=np.int64) for v in variables))


def _bytes(variables):
    return int(sum(np.prod(v.shape, dtype=np.int64) * np.dtype(v.dtype).itemsize for v in variables))


def _output_shape(layer):
    nodes = layer._inbound_nodes
    if not nodes:
        return "?"
    shapes = [t.shape for t in nodes[-1].outputs]
    return str(shapes[0]) if len(shapes) == 1 else str(shapes)


def _connections(layer, model_nodes):
    links = []
    for node in layer._inbound_nodes:
        if id(node) not in model_nodes:
            continue
        for tensor in node.flat_inputs:
            source = tensor.node
            links.append(f"{source.layer.name}[{source.layer._inbound_nodes.index(source)}][{tensor.index}]")
    return links


def _sequential_like(model):
    """Keras' test for leaving out the Connected-to column: the model is no functional graph, or its layer calls
    form one chain (each call reads at most one tensor, no layer is called twice, one call's output is read
    by no other call)."""
    nodes = getattr(model, "_nodes", None)
    if nodes is None or isinstance(model, Sequential):
        return True
    read = {id(tensor.node) for node in nodes for tensor in node.flat_inputs}
    unread = [node for node in nodes if id(node) not in read]
    return (all(len(node.flat_inputs) <= 1 for node in nodes) and len(unread) == 1
            and len({id(node.layer) for node in nodes}) == len(nodes))


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Print the table the way tf.keras does; the Connected-to column appears where Keras 3 shows it (graphs
    that are not a single chain)."""
    print_fn = print_fn or print
    sequential_like = _sequential_like(model)
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.33, 0.55, 0.67, 1.0]
        headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    stops = [int(line_length * p) if p <= 1 else int(p) for p in positions]

    def row(fields):
        line = ""
        for field, stop in zip(fields, stops):
            line = (line + " " + str(field))[:stop - 1] if line else (" " + str(field))[:stop - 1]
            line = line.ljust(stop)
        return line.rstrip()

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    print_fn(row(headers))
    print_fn("=" * line_length)
    layers = model.layers
    model_nodes = {id(node) for node in getattr(model, "_nodes", ())}
    for layer in layers:
        params = _count(layer.weights) if layer.built else 0
        fields = [f"{layer.name} ({type(layer).__name__})", _output_shape(layer), params]
        if sequential_like:
            print_fn(row(fields))
        else:
            links = [] if isinstance(layer, InputLayer) else _connections(layer, model_nodes)
            print_fn(row(fields + [links[0] if links else ""]))
            for link in links[1:]:
                print_fn(row(["", "", "", link]))
        print_fn("")
    print_fn("=" * line_length)
    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    total = _count(model.weights)
    print_fn(f"Total params: {total:,} ({_format_bytes(_bytes(model.weights))})")
    print_fn(f"Trainable params: {_count(trainable):,} ({_format_bytes(_bytes(trainable))})")
    print_fn(f"Non-trainable params: {_count(non_trainable):,} ({_format_bytes(_bytes(non_trainable))})")
    print_fn("_" * line_length)
