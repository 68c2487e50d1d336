"""One step of a functional model's plan: a layer call that reads its arguments from numbered slots and
writes its outputs (and, in graphs that carry Keras masks, their masks) to others."""
import inspect

from nnkit.layers.call_arguments import bind_call
from nnkit.layers.layer import Layer
from nnkit.layers.symbolic import flatten, replace_symbolic, symbolic_leaves


def makes_masks(node):
    """Whether a graph node can start a mask: its layer computes masks of its own (Embedding with
    mask_zero, Masking) or the call was given a `mask=` tensor."""
    return type(node.layer).compute_mask is not Layer.compute_mask or bool(symbolic_leaves(node.kwargs.get("mask")))


def _mask_routes(node, slots):
    """Where a call's masks come from, as Keras routes them: the call's `mask` argument gets the masks of
    its only tensor argument; with several tensor arguments, `{name}_mask` gets the masks of argument
    `name` (`query_mask`, `value_mask`); arguments given explicitly are left alone. Returns
    ([(keyword, structure, slots)], (first argument structure, its slots))."""
    parameters = inspect.signature(node.layer.call).parameters
    catch_alls = {name for name, p in parameters.items() if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    try:
        bound = bind_call(node.layer, node.inputs, node.args, node.kwargs)
    except TypeError:  # the call itself will say what is wrong
        bound = {}
    tensors = {name: value for name, value in bound.items() if name not in catch_alls and symbolic_leaves(value)}

    def route(value):
        return value, [slots[t.id] for t in symbolic_leaves(value)]

    names = list(tensors)
    wanted = [("mask", names[0])] if len(names) == 1 else [(f"{name}_mask", name) for name in names]
    fills = [(keyword, *route(tensors[name])) for keyword, name in wanted
             if keyword in parameters and bound.get(keyword) is None]
    return fills, route(node.inputs)


class GraphStep:
    """A node of the graph made ready to run: slots to read and write, static keywords, mask routes."""

    __slots__ = ("layer", "input_slots", "output_slots", "template", "kwargs", "takes_training", "mask_routes")

    def __init__(self, node, input_slots, output_slots, slots=None):
        self.layer = node.layer
        self.input_slots = input_slots
        self.output_slots = output_slots
        plain = (not node.args and not symbolic_leaves(node.kwargs)
                 and not isinstance(node.inputs, (list, tuple, dict)))
        self.template = None if plain else (node.inputs, node.args, node.kwargs)
        self.kwargs = node.kwargs
        self.takes_training = node.layer._call_accepts("training")
        self.mask_routes = None if slots is None else _mask_routes(node, slots)

    def run(self, values, masks, training):
        """Call the layer on the values in its input slots; store its outputs (and masks, when `masks` is a
        list of slots)."""
        if self.template is None:
            inputs, args, kwargs = values[self.input_slots[0]], (), self.kwargs
        else:
            inputs, args, kwargs = replace_symbolic(self.template, [values[s] for s in self.input_slots])
        if masks is not None:
            kwargs, previous_mask = self._with_masks(kwargs, masks)
        if self.takes_training:
            kwargs = {"training": training, **kwargs}
        layer = self.layer
        outputs = layer._call_with_policy(inputs, args, kwargs)
        if layer.activity_regularizer is not None:
            layer.add_loss(layer._activity_loss(outputs))
        if len(self.output_slots) == 1 and not isinstance(outputs, (list, tuple, dict)):
            values[self.output_slots[0]] = outputs
        else:
            for slot, value in zip(self.output_slots, flatten(outputs)):
                values[slot] = value
        if masks is not None:
            output_masks = layer.compute_mask(inputs, previous_mask) if layer.supports_masking else None
            flat_masks = flatten(output_masks) + [None] * len(self.output_slots)
            for slot, mask in zip(self.output_slots, flat_masks):
                masks[slot] = mask

    def _with_masks(self, kwargs, masks):
        """The call keywords with the input masks filled in, and the mask compute_mask receives (the
        explicit `mask=` argument, else the first argument's masks)."""
        fills, (first_structure, first_slots) = self.mask_routes
        for keyword, structure, slots in fills:
            found = [masks[s] for s in slots]
            if any(m is not None for m in found):
                kwargs = {**kwargs, keyword: replace_symbolic(structure, found)}
        previous_mask = kwargs.get("mask")
        if previous_mask is None:
            found = [masks[s] for s in first_slots]
            if any(m is not None for m in found):
                previous_mask = replace_symbolic(first_structure, found)
        return kwargs, previous_mask
