"""OpLayer: an `nnkit.ops` function applied to symbolic tensors, recorded in a functional graph.

`x + y`, `x[:, 0]` or `nnkit.ops.exp(x)` on a SymbolicTensor call `symbolic_op`, which wraps the op in an
OpLayer (as Keras 3 wraps its ops as graph operations). The layer holds the op's NAME and its non-tensor
arguments as a JSON-ready template, so a graph using it serializes without pickling.
"""
import numpy as np

from nnkit.layers.layer import Layer
from nnkit.naming import unique_name
from nnkit.layers.symbolic import flatten, replace_symbolic, symbolic_leaves


class _Slot:
    """The place of the i-th tensor argument in an OpLayer's argument template."""

    def __init__(self, index):
        self.index = index


def _encode(value):
    """A template value as JSON: tuples, slices, Ellipsis and arrays tagged so that they decode exactly."""
    if isinstance(value, _Slot):
        return {"__tensor__": value.index}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(item) for item in value]}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {"__dict__": {key: _encode(item) for key, item in value.items()}}
    if isinstance(value, slice):
        return {"__slice__": [_encode(value.start), _encode(value.stop), _encode(value.step)]}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return {"__dtype__": np.dtype(value).name}
    if isinstance(value, (np.ndarray, np.generic)):
        return {"__array__": np.asarray(value).tolist(), "dtype": str(np.asarray(value).dtype)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"An op on symbolic tensors got the argument {value!r} of type {type(value).__name__}, which "
                    f"a graph cannot record: pass tensors, numbers, strings, tuples, lists, slices or NumPy arrays.")


def _decode(value):
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "__tensor__" in value:
        return _Slot(value["__tensor__"])
    if "__tuple__" in value:
        return tuple(_decode(item) for item in value["__tuple__"])
    if "__dict__" in value:
        return {key: _decode(item) for key, item in value["__dict__"].items()}
    if "__slice__" in value:
        return slice(*(_decode(item) for item in value["__slice__"]))
    if "__ellipsis__" in value:
        return Ellipsis
    if "__dtype__" in value:
        return np.dtype(value["__dtype__"])
    if "__array__" in value:
        return np.asarray(value["__array__"], dtype=value["dtype"])
    raise ValueError(f"Unknown OpLayer argument encoding {value!r}.")


def _fill(template, tensors):
    """The template with each _Slot replaced by its tensor."""
    if isinstance(template, _Slot):
        return tensors[template.index]
    if isinstance(template, dict):
        return {key: _fill(item, tensors) for key, item in template.items()}
    if isinstance(template, (list, tuple)):
        return type(template)(_fill(item, tensors) for item in template)
    return template


def _op_named(name):
    """nnkit.ops.<name>, or for 'module.name' a primitive that a public op of nnkit.ops.<module> calls."""
    import importlib

    import nnkit.ops as ops
    from nnkit.ops.primitive import Primitive

    module, _, attribute = name.rpartition(".")
    found = getattr(importlib.import_module(f"nnkit.ops.{module}") if module else ops, attribute, None)
    if not callable(found) or (module and not isinstance(found, Primitive)):
        raise ValueError(f"OpLayer: nnkit.ops has no op named '{name}'.")
    return found


def op_name(op):
    """The name an OpLayer records for `op`: its public name in nnkit.ops, else 'module.name' of a primitive."""
    import nnkit.ops as ops

    name = getattr(op, "name", None) or op.__name__
    if getattr(ops, name, None) is op:
        return name
    return f"{op.forward.__module__.rpartition('.')[2]}.{name}"


class OpLayer(Layer):
    """`nnkit.ops.<op>(*args, **kwargs)` as a graph layer: the tensor arguments are the layer's inputs (a
    list), the others live in `arguments` (the call's (args, kwargs) with tensors as numbered slots)."""

    def __init__(self, op, arguments=None, **kwargs):
        kwargs["name"] = kwargs.get("name") or unique_name(op.rpartition(".")[2].strip("_"))
        super().__init__(**kwargs)
        self.op = op
        self._op = _op_named(op)
        self.arguments = ([], {}) if arguments is None else arguments

    def _call_accepts(self, argument):
        return False  # no `training` or `mask` keywords: the op gets only its own arguments

    def call(self, inputs):
        args, kwargs = _fill(self.arguments, list(inputs))
        return self._op(*args, **kwargs)

    def _call_symbolic(self, inputs, args, kwargs):
        outputs = super()._call_symbolic(inputs, args, kwargs)
        for tensor, dtype in zip(flatten(outputs), self._output_dtypes):
            tensor.dtype = dtype
        return outputs

    def _output_shapes_of_call(self, inputs, args, kwargs, first_shapes):
        """The output shapes from running the op on zeros of the inputs' shapes and dtypes; the same runs
        note the output dtypes (`_output_dtypes`), which depend on the op and its inputs' dtypes."""
        def run(zeros):
            outputs = self.call([zeros(t.shape, t.dtype) for t in inputs])
            self._output_dtypes = [str(getattr(o, "dtype", None) or np.asarray(o).dtype) for o in flatten(outputs)]
            return outputs

        return self._shapes_by_running(run)

    def get_config(self):
        args, kwargs = self.arguments
        return {**super().get_config(), "op": self.op, "arguments": {"args": _encode(list(args)),
                                                                     "kwargs": _encode(dict(kwargs))}}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        arguments = config.pop("arguments", None) or {}
        template = (_decode(arguments.get("args", [])), _decode(arguments.get("kwargs", {"__dict__": {}})))
        return cls(arguments=template, **config)


def symbolic_op(op, args, kwargs):
    """op(*args, **kwargs) where some arguments are symbolic: the outputs of a new OpLayer. `op` is a name in
    nnkit.ops or a Primitive."""
    name = op if isinstance(op, str) else op_name(op)
    tensors = symbolic_leaves((args, kwargs))
    template = replace_symbolic((list(args), dict(kwargs)), [_Slot(i) for i in range(len(tensors))])
    _encode(template)  # reject, now, arguments a config could not hold
    return OpLayer(name, template)(tensors)


def has_symbolic(args, kwargs):
    """Whether any argument (nested in lists, tuples or dicts) is a SymbolicTensor."""
    return bool(symbolic_leaves((args, kwargs)))
