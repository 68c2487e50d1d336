"""Bidirectional: one recurrent layer reading the sequence forwards, a copy reading it backwards, outputs merged."""
from nnkit import ops
from nnkit.layers.layer import Layer
from nnkit.layers.serialization import deserialize, serialize

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _copy(layer, name, **changes):
    config = serialize(layer)
    config["config"] = {**config["config"], "name": name, **changes}
    return deserialize(config)


def _strip(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Runs `layer` forwards and (a copy of it, or `backward_layer`) backwards over time; merge_mode 'concat',
    'sum', 'mul', 'ave' combines the two outputs, None returns both. Weights: forward's, then backward's."""

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise ValueError(f"Bidirectional needs a recurrent layer (with go_backwards), received layer={layer!r}.")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {list(_MERGE_MODES)}, received "
                             f"merge_mode={merge_mode!r}.")
        super().__init__(**kwargs)
        self.forward_layer = _copy(layer, "forward_" + _strip(layer.name, "forward_"))
        if backward_layer is None:
            backward_layer = _copy(layer, "backward_" + _strip(layer.name, "backward_"),
                                   go_backwards=not layer.go_backwards)
            self._custom_backward = False
        else:
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError(f"Bidirectional '{self.name}': backward_layer.go_backwards must be the opposite "
                                 f"of layer.go_backwards, both are {layer.go_backwards}.")
            for attribute in ("return_sequences", "return_state", "stateful"):
                if getattr(backward_layer, attribute) != getattr(layer, attribute):
                    raise ValueError(f"Bidirectional '{self.name}': backward_layer.{attribute} must equal "
                                     f"layer.{attribute} ({getattr(layer, attribute)}).")
            self._custom_backward = True
        self.backward_layer = backward_layer
        for direction in (self.forward_layer, self.backward_layer):  # Keras: masked steps output zeros
            direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = layer.stateful
        self._initial_weights = weights

    @property
    def uses_randomness(self):
        return self.forward_layer.uses_randomness or self.backward_layer.uses_randomness

    def build(self, sequences_shape):
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer.build(sequences_shape)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _merge(self, forward, backward):
        if self.merge_mode == "concat":
            return ops.concatenate([forward, backward], axis=-1)
        if self.merge_mode == "sum":
            return ops.add(forward, backward)
        if self.merge_mode == "ave":
            return ops.multiply(ops.add(forward, backward), 0.5)
        if self.merge_mode == "mul":
            return ops.multiply(forward, backward)
        return [forward, backward]

    def call(self, sequences, initial_state=None, mask=None, training=False):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        forward = self.forward_layer.call(sequences, initial_state=forward_state, mask=mask, training=training)
        backward = self.backward_layer.call(sequences, initial_state=backward_state, mask=mask, training=training)
        states = []
        if self.return_state:
            forward, states = forward[0], list(forward[1:]) + list(backward[1:])
            backward = backward[0]
        if self.return_sequences:
            backward = ops.getitem(backward, (slice(None), slice(None, None, -1)))
        output = self._merge(forward, backward)
        if self.return_state:
            return (output if isinstance(output, list) else [output]) + states
        return output

    def reset_states(self):
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        outputs = [output_mask] * (2 if self.merge_mode is None else 1)
        if self.return_state:
            states = self.forward_layer.compute_output_shape((None, None, 1))[1:]
            outputs += [None] * (2 * len(states))
        return outputs if len(outputs) > 1 else outputs[0]

    def compute_output_shape(self, sequences_shape):
        forward = self.forward_layer.compute_output_shape(sequences_shape)
        states = []
        if self.return_state:
            forward, states = forward[0], list(forward[1:]) * 2
        if self.merge_mode == "concat":
            output = [tuple(forward[:-1]) + (forward[-1] * 2,)]
        elif self.merge_mode is None:
            output = [tuple(forward), tuple(forward)]
        else:
            output = [tuple(forward)]
        shapes = output + [tuple(s) for s in states]
        return shapes[0] if len(shapes) == 1 else shapes

    def get_config(self):
        config = {**super().get_config(), "merge_mode": self.merge_mode, "layer": serialize(self.forward_layer)}
        if self._custom_backward:
            config["backward_layer"] = serialize(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = deserialize(backward, custom_objects)
        return cls(layer, backward_layer=backward, **config)
