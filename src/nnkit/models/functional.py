"""Functional: a model defined by a directed acyclic graph of layer calls from Input tensors to outputs.

The graph is sorted once into a plan of (layer, input slots, output slots) steps; running the model is
one loop over that plan, so it is a pure function of the variables' values and traces under jax.jit.
"""
from nnkit.layers import call_context
from nnkit.layers.input_layer import InputLayer
from nnkit.layers.symbolic import SymbolicTensor, flatten, pack_like
from nnkit.models.graph_step import GraphStep as _GraphStep, makes_masks as _makes_masks
from nnkit.models.model import Model


def _sorted_nodes(outputs, inputs):
    """The nodes needed to compute `outputs` from `inputs`, each after the nodes it reads from."""
    input_ids = {t.id for t in inputs}
    order, state = [], {}
    for tensor in reversed(outputs):
        stack = [(tensor.node, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                state[id(node)] = "done"
                order.append(node)
                continue
            if state.get(id(node)) is not None:
                continue
            state[id(node)] = "visiting"
            stack.append((node, True))
            for parent_tensor in reversed(node.flat_inputs):
                if parent_tensor.id in input_ids:
                    continue
                if isinstance(parent_tensor.node.layer, InputLayer):
                    raise ValueError(
                        f"Graph disconnected: the model needs a value for input '{parent_tensor.node.layer.name}' "
                        f"(shape {parent_tensor.shape}) to compute layer '{node.layer.name}', but it is not among "
                        f"the model's inputs {[t.node.layer.name for t in inputs]}."
                    )
                if state.get(id(parent_tensor.node)) is None:
                    stack.append((parent_tensor.node, False))
    return order


def _keras_layer_order(outputs):
    """Layers ordered as Keras orders them (deepest first; ties in first-visit order from the outputs), so
    that model.layers, summaries and get_weights() line up with Keras models of the same graph."""
    first_visit, post_order, done = {}, [], set()
    stack = [(t.node, False) for t in reversed(outputs)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            if id(node) not in done:
                done.add(id(node))
                post_order.append(node)
            continue
        if id(node) in done:
            continue
        first_visit.setdefault(id(node.layer), (len(first_visit), node.layer))
        stack.append((node, True))
        stack.extend((t.node, False) for t in reversed(node.flat_inputs))
    node_depth, layer_depth = {}, {}
    for node in reversed(post_order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        for tensor in node.flat_inputs:
            node_depth[id(tensor.node)] = max(depth + 1, node_depth.get(id(tensor.node), 0))
    return [layer for _, layer in sorted(first_visit.values(), key=lambda item: (-layer_depth[id(item[1])], item[0]))]


class Functional(Model):
    """Model(inputs, outputs): inputs and outputs may be a tensor, a list or a dict of tensors."""

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._init_graph(inputs, outputs)

    def _init_graph(self, inputs, outputs):
        flat_inputs, flat_outputs = flatten(inputs), flatten(outputs)
        for tensor in flat_inputs + flat_outputs:
            if not isinstance(tensor, SymbolicTensor):
                raise TypeError(f"Model '{self.name}' inputs and outputs must be symbolic tensors (from Input() "
                                f"and layer calls), received {tensor!r}.")
        for tensor in flat_inputs:
            if not isinstance(tensor.node.layer, InputLayer):
                raise ValueError(f"Model '{self.name}' inputs must come from Input(); {tensor!r} does not.")
        self._input_structure, self._output_structure = inputs, outputs
        self.inputs, self.outputs = flat_inputs, flat_outputs
        nodes = _sorted_nodes(flat_outputs, flat_inputs)
        slots = {t.id: i for i, t in enumerate(flat_inputs)}
        steps = []
        for node in nodes:
            if isinstance(node.layer, InputLayer):
                continue
            input_slots = [slots[t.id] for t in node.flat_inputs]
            for tensor in node.outputs:
                slots[tensor.id] = len(slots)
            steps.append((node, input_slots, [slots[t.id] for t in node.outputs]))
        self._uses_masks = any(_makes_masks(node) for node, _, _ in steps)
        self._plan = [_GraphStep(node, input_slots, output_slots, slots if self._uses_masks else None)
                      for node, input_slots, output_slots in steps]
        self._nodes, self._slot_count = nodes, len(slots)
        self._output_slots = [slots[t.id] for t in flat_outputs]
        self._graph_layers = _keras_layer_order(flat_outputs)
        self.built = True

    @property
    def _sublayers(self):
        return self._graph_layers

    @property
    def layers(self):
        return list(self._graph_layers)

    @property
    def input(self):
        """The model's symbolic input(s), in the structure it was defined with."""
        return self._input_structure

    @property
    def output(self):
        """The model's symbolic output(s), in the structure it was defined with."""
        return self._output_structure

    @property
    def input_shape(self):
        """The batch shape of the input (a list of shapes for several inputs), as Keras reports it."""
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        """The batch shape of the output (a list of shapes for several outputs)."""
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input_names(self):
        if isinstance(self._input_structure, dict):
            return list(self._input_structure)
        return [t.node.layer.name for t in self.inputs]

    @property
    def output_names(self):
        if isinstance(self._output_structure, dict):
            return list(self._output_structure)
        return [t.node.layer.name for t in self.outputs]

    def _input_names_for(self, x):
        return self.input_names

    def _check_input_shapes(self, xs):
        for tensor, array in zip(self.inputs, xs):
            expected = tensor.shape[1:]
            received = tuple(array.shape[1:])
            if len(expected) != len(received) or any(e is not None and e != r for e, r in zip(expected, received)):
                raise ValueError(
                    f"Input '{tensor.node.layer.name}' of model '{self.name}' expects samples of shape {expected} "
                    f"(batch shape {tensor.shape}), but the data has samples of shape {received}."
                )

    def _pack_outputs(self, flat):
        return pack_like(self._output_structure, flat)

    def _forward(self, flat_inputs, training):
        outputs, masks = self.run_graph_with_masks(flat_inputs, training)
        call_context.current().output_masks = masks
        return outputs

    def _build_for_inputs(self, host_inputs):
        """A functional model is built when it is defined."""

    def _output_shapes(self, host_inputs):
        return [t.shape for t in self.outputs]

    def run_graph(self, flat_inputs, training=False):
        """Run the plan on a flat list of input arrays; returns the flat list of outputs."""
        return self.run_graph_with_masks(flat_inputs, training)[0]

    def run_graph_with_masks(self, flat_inputs, training=False):
        """Run the plan; returns (flat outputs, their Keras masks: None for an output without one). Masks
        flow from the layers that make them (compute_mask) into the calls that take them (`mask=`)."""
        values = [None] * self._slot_count
        values[:len(flat_inputs)] = flat_inputs
        masks = [None] * self._slot_count if self._uses_masks else None
        for step in self._plan:
            step.run(values, masks, training)
        output_masks = [None] * len(self._output_slots) if masks is None else [masks[s] for s in self._output_slots]
        return [values[s] for s in self._output_slots], output_masks

    def call(self, inputs, training=False):
        flat = self._flatten_inputs(inputs)
        self._check_input_shapes(flat)
        return pack_like(self._output_structure, self.run_graph(flat, training))

    def _flatten_inputs(self, inputs):
        """Inputs given as the model's structure, a list, or a dict keyed by input name -> a flat list."""
        if isinstance(inputs, dict):
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise ValueError(f"Model '{self.name}' expects inputs named {self.input_names}; missing {missing}.")
            return [inputs[n] for n in self.input_names]
        flat = flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self.inputs)} input(s) {self.input_names}, "
                             f"but received {len(flat)}.")
        return flat

    def compute_output_shape(self, input_shape):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if isinstance(self._output_structure, SymbolicTensor) else shapes

    def get_config(self):
        from nnkit.models.graph_config import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from nnkit.models.graph_config import functional_from_config

        return functional_from_config(config, custom_objects)
