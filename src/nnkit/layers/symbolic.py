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

    __array_ufunc__ = None  # NumPy defers `array + tensor` to the tensor's operators, which record the op

    def __len__(self):
        if self.shape and self.shape[0] is not None:
            return self.shape[0]
        raise TypeError(f"{self!r} has an unknown first axis: it has no len().")

    def __iter__(self):  # without this, Python would iterate through __getitem__ forever, adding graph nodes
        raise TypeError(f"{self!r} is symbolic and cannot be iterated: index it (x[:, 0]) or use nnkit.ops.split.")

    @property
    def T(self):
        return _op("transpose", self)


def _op(name, *args):
    from nnkit.layers.op_layer import symbolic_op

    return symbolic_op(name, args, {})


def _operator(name, reflected=False):
    """A Python operator on symbolic tensors: records nnkit.ops.<name> in the graph (Keras wraps ops the same way)."""
    if reflected:
        return lambda self, other: _op(name, other, self)
    return lambda self, other: _op(name, self, other)


for _dunder, _name in [("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("truediv", "divide"),
                       ("matmul", "matmul"), ("pow", "power")]:
    setattr(SymbolicTensor, f"__{_dunder}__", _operator(_name))
    setattr(SymbolicTensor, f"__r{_dunder}__", _operator(_name, reflected=True))
for _dunder, _name in [("lt", "less"), ("le", "less_equal"), ("gt", "greater"), ("ge", "greater_equal"),
                       ("getitem", "getitem")]:
    setattr(SymbolicTensor, f"__{_dunder}__", _operator(_name))
SymbolicTensor.__neg__ = lambda self: _op("negative", self)
SymbolicTensor.__abs__ = lambda self: _op("abs", self)


def flatten(structure):
    """The leaves of a tensor, a list/tuple of tensors, or a dict of tensors (dict in key order)."""
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def _map_leaves(structure, function):
    """`structure` (as flatten walks it) with each leaf replaced by function(leaf), in flatten order."""
    if isinstance(structure, dict):
        return {key: _map_leaves(structure[key], function) for key in structure}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map_leaves(item, function) for item in structure)
    return function(structure)


def pack_like(structure, leaves):
    """Rebuild `structure` with `leaves` (the inverse of flatten)."""
    iterator = iter(leaves)
    return _map_leaves(structure, lambda _: next(iterator))


def symbolic_leaves(structure):
    """The symbolic tensors among the leaves of `structure` (other values, such as flags, skipped)."""
    return [leaf for leaf in flatten(structure) if isinstance(leaf, SymbolicTensor)]


def replace_symbolic(structure, values):
    """`structure` with its symbolic tensors replaced, in flatten order, by `values`; other leaves kept."""
    iterator = iter(values)
    return _map_leaves(structure, lambda leaf: next(iterator) if isinstance(leaf, SymbolicTensor) else leaf)


class Node:
    """One call of a layer in a graph: its first argument (`inputs`), further positional arguments, call
    keywords and output tensors. `flat_inputs` lists every symbolic tensor of the call: the leaves of
    `inputs`, then those among `args` and `kwargs` (Keras' `layer(query, value, mask=m)`)."""

    def __init__(self, layer, inputs, kwargs, output_shapes, output_dtype, args=()):
        self.layer = layer
        self.inputs = inputs
        self.args = tuple(args)
        self.kwargs = kwargs
        self.flat_inputs = flatten(inputs) + symbolic_leaves((self.args, kwargs))
        self.parents = [t.node for t in self.flat_inputs if t.node is not None]
        single = isinstance(output_shapes, tuple) and all(d is None or isinstance(d, int) for d in output_shapes)
        shapes = [output_shapes] if single else list(output_shapes)
        self.outputs = [SymbolicTensor(s, output_dtype, self, i) for i, s in enumerate(shapes)]
        self.output_structure = self.outputs[0] if single else self.outputs
        layer._inbound_nodes.append(self)
