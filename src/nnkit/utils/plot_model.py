"""plot_model / model_to_dot: a model's layer graph drawn through pydot and Graphviz (Keras' utilities).
Neither is needed to import nnkit; a missing one is an ImportError saying what to install."""
import os

_PYDOT_MISSING = "plot_model needs pydot: pip install pydot (and Graphviz's `dot`: apt-get install graphviz, " \
                 "brew install graphviz or conda install graphviz)."
_DOT_MISSING = "plot_model needs Graphviz's `dot` program on the PATH: apt-get install graphviz, brew install " \
               "graphviz or conda install graphviz (pydot is installed)."


def _pydot():
    try:
        import pydot
    except ImportError as error:
        raise ImportError(_PYDOT_MISSING) from error
    return pydot


def _shape_text(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list) and shape and isinstance(shape[0], (list, tuple)):
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _output_shape(layer):
    output = getattr(layer, "output", None)
    return tuple(output.shape) if output is not None and hasattr(output, "shape") else None


def _edges(model):
    """(source layer name, target layer name) pairs: a functional model's connections, else the layer chain."""
    config = model.get_config()
    entries = config.get("layers", []) if isinstance(config, dict) else []
    if not any(entry.get("inbound_nodes") for entry in entries):
        names = [layer.name for layer in model.layers]
        return list(zip(names, names[1:]))
    edges = []

    def sources(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            yield value["config"]["keras_history"][0]
        elif isinstance(value, (list, tuple)):
            for item in value:
                yield from sources(item)

    for entry in entries:
        for node in entry.get("inbound_nodes") or []:
            edges += [(source, entry["name"]) for source in sources(node.get("args", []))]
    return edges


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=False, rankdir="TB", dpi=200,
                 show_layer_activations=False, show_trainable=False, **kwargs):
    """A pydot graph of the model: one box per layer (class name, and optionally its name, output shape,
    dtype, activation and trainable flag), an arrow per connection."""
    pydot = _pydot()
    graph = pydot.Dot(graph_type="digraph", rankdir=rankdir, dpi=str(dpi), concentrate="true")
    graph.set_node_defaults(shape="record", fontname="Helvetica")
    for layer in model.layers:
        parts = [f"{layer.name} ({type(layer).__name__})" if show_layer_names else type(layer).__name__]
        if show_layer_activations and getattr(layer, "activation", None) is not None:
            parts.append(f"activation: {getattr(layer.activation, '__name__', layer.activation)}")
        if show_shapes:
            parts.append(f"output: {_shape_text(_output_shape(layer))}")
        if show_dtype:
            parts.append(f"dtype: {getattr(layer, 'dtype', None)}")
        if show_trainable:
            parts.append(f"trainable: {layer.trainable}")
        label = "{" + "|".join(part.replace("{", "\\{").replace("}", "\\}") for part in parts) + "}"
        graph.add_node(pydot.Node(layer.name, label=label))
    for source, target in _edges(model):
        graph.add_edge(pydot.Edge(source, target))
    return graph


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=False,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False,
               **kwargs):
    """Draw the model's layer graph into `to_file` (its extension picks the format: png, svg, pdf, dot)."""
    graph = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                         rankdir=rankdir, dpi=dpi, show_layer_activations=show_layer_activations,
                         show_trainable=show_trainable)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    try:
        graph.write(to_file, format=extension)
    except FileNotFoundError as error:  # pydot could not run `dot`
        raise ImportError(_DOT_MISSING) from error
    return graph
