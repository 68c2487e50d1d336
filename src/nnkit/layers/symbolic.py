"""Symbolic tensors and nodes: the graph that calling layers on `Input(...)` records."""
import itertools

_ids = itertools.count()


class SymbolicTensor:
    """A placeholder with a static shape (None for unknown sizes) made by a layer call in a graph."""

    def __init__(self, shape, dtype="float32", node=None, index=0, name=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.node = node
        self.index = index
        self.name = name
        self.id = next(_ids)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def layer(self):
        """The layer whose call produced this tensor."""
        return self.node.layer

    def __repr__(self):
        layer = self.node.layer.name if self.node else "?"
        return f"<SymbolicTensor shape={self.shape} dtype={self.dtype} from '{layer}'>"

    def __array__(self, *args, **kwargs):
        raise TypeError(
            f"{self!r} is symbolic: it has no values. Build a Model from it and call the model on data."
        )


def flatten(structure):
    """The leaves of a tensor, a list/tuple of tensors, or a dict of tensors (dict in key order)."""
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def pack_like(structure, leaves):
    """Rebuild `structure` with `leaves` (the inverse of flatten)."""
    iterator = iter(leaves)

    def rebuild(node):
        if isinstance(node, dict):
            return {key: rebuild(node[key]) for key in node}
        if isinstance(node, (list, tuple)):
            return type(node)(rebuild(item) for item in node)
        return next(iterator)

    return rebuild(structure)


class Node:
    """One call of a layer in a graph: its input structure, call keywords and output tensors."""

    def __init__(self, layer, inputs, kwargs, output_shapes, output_dtype):
        self.layer = layer
        self.inputs = inputs
        self.flat_inputs = flatten(inputs)
        self.kwargs = kwargs
        self.parents = [t.node for t in self.flat_inputs if t.node is not None]
        single = isinstance(output_shapes, tuple) and all(d is None or isinstance(d, int) for d in output_shapes)
        shapes = [output_shapes] if single else list(output_shapes)
        self.outputs = [SymbolicTensor(s, output_dtype, self, i) for i, s in enumerate(shapes)]
        self.output_structure = self.outputs[0] if single else self.outputs
        layer._inbound_nodes.append(self)
