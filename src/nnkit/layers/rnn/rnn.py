"""RNN: runs a cell over the time axis with the backend's scan (lax.scan on JAX, a loop through nnkit.ops on
eager backends), with masks, initial and stateful states, reversed sequences and dropout masks per sequence."""
import numpy as np

from nnkit import ops
from nnkit.backends import active
from nnkit.layers.input_spec import InputSpec
from nnkit.layers.layer import Layer
from nnkit.layers.rnn.stacked_rnn_cells import StackedRNNCells
from nnkit.layers.symbolic import flatten, pack_like
from nnkit.ops.eager_scan import eager_scan
from nnkit.ops.variable import Variable


def _sizes(state_size):
    return list(state_size) if isinstance(state_size, (list, tuple)) else [state_size]


class RNN(Layer):
    """A recurrent layer around `cell` (a cell, or a list of cells stacked with StackedRNNCells).

    Inputs are (batch, time, features). `mask` is a boolean (batch, time) array: at a masked step the states
    carry over unchanged and the output repeats the previous one (zeros with zero_output_for_mask=True)."""

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not callable(getattr(cell, "call", None)) or getattr(cell, "state_size", None) is None:
            raise ValueError(f"RNN: the cell needs a `call` method and a `state_size` attribute; received cell={cell!r}.")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.zero_output_for_mask = zero_output_for_mask
        self.state_size = _sizes(cell.state_size)
        self.states = None
        self.input_spec = InputSpec(ndim=3)

    @property
    def uses_randomness(self):
        return bool(getattr(self.cell, "uses_randomness", False))

    # --- building and state ------------------------------------------------------------------------------
    def build(self, sequences_shape, initial_state_shape=None):
        if isinstance(sequences_shape, list):  # layer([x, *initial_states])
            sequences_shape = sequences_shape[0]
        step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build(step_shape)
        if self.stateful:
            batch = sequences_shape[0]
            if batch is None:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' is stateful, so it needs a fixed batch size: pass "
                    f"batch_size= (or batch_shape=) to the Input, received input shape {tuple(sequences_shape)}.")
            self._state_variables = [
                self._track_state(Variable(np.zeros((batch, size), self.variable_dtype), name=f"rnn_state_{i}",
                                           trainable=False, backend=active.backend))
                for i, size in enumerate(flatten(self.state_size))]
            self.states = pack_like(self._state_structure(), self._state_variables)

    def _state_structure(self):
        """state_size as a list (of lists, for stacked cells): the nesting of the states."""
        return [s if not isinstance(s, (list, tuple)) else list(s) for s in self.state_size]

    def reset_states(self, states=None):
        """Set the stateful states to zeros (or to the given host arrays)."""
        if not self.stateful or self.states is None:
            raise AttributeError(f"Layer '{self.name}' is not stateful (or not built), so it has no states to reset.")
        values = [None] * len(self._state_variables) if states is None else flatten(list(states))
        for variable, value in zip(self._state_variables, values):
            variable.assign(ops.zeros_like(variable.value) if value is None else ops.convert_to_tensor(value))

    reset_state = reset_states

    def get_initial_state(self, batch_size):
        """The cell's initial states for a batch (zeros unless the cell says otherwise)."""
        initial = getattr(self.cell, "get_initial_state", None)
        if initial is not None:
            return initial(batch_size)
        return [ops.zeros((batch_size, size), dtype=self.dtype) for size in self.state_size]

    # --- calling ---------------------------------------------------------------------------------------------
    def _checked_mask(self, mask, batch, steps):
        mask = flatten(mask)[0]
        if tuple(mask.shape) != (batch, steps):
            raise ValueError(f"{type(self).__name__} '{self.name}' expects a mask of shape (batch, time) = "
                             f"{(batch, steps)}, received a mask of shape {tuple(mask.shape)}.")
        return ops.expand_dims(ops.transpose(ops.cast(mask, "bool")), -1)

    def _states_for(self, initial_state, batch):
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(flatten(states)) != len(flatten(self.state_size)):
                raise ValueError(f"{type(self).__name__} '{self.name}' expects {len(flatten(self.state_size))} "
                                 f"initial states, received {len(flatten(states))}.")
            return pack_like(self._state_structure(), [ops.cast(s, self.dtype) for s in flatten(states)])
        if self.stateful:
            expected = self._state_variables[0].shape[0]
            if batch != expected:
                raise ValueError(f"{type(self).__name__} '{self.name}' is stateful with batch size {expected}, "
                                 f"received a batch of {batch} sequences.")
            return pack_like(self._state_structure(), [v.value for v in self._state_variables])
        return self.get_initial_state(batch)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if isinstance(sequences, (list, tuple)):  # layer([x, *initial_states]) as in Keras
            sequences, initial_state = sequences[0], list(sequences[1:]) or initial_state
        shape = tuple(sequences.shape)
        if len(shape) != 3:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of shape (batch, time, features), "
                             f"received shape {shape}.")
        batch, steps = shape[0], shape[1]
        if steps == 0:
            raise ValueError(f"{type(self).__name__} '{self.name}' needs at least one time step, received inputs of "
                             f"shape {shape}.")
        states = self._states_for(initial_state, batch)
        xs = ops.transpose(sequences, (1, 0, 2))
        if mask is not None:
            mask = self._checked_mask(mask, batch, steps)
        if self.go_backwards:
            xs = ops.getitem(xs, slice(None, None, -1))
            mask = None if mask is None else ops.getitem(mask, slice(None, None, -1))
        outputs, last, new_states = self._run(xs, states, mask, training)
        if self.stateful:
            for variable, value in zip(self._state_variables, flatten(new_states)):
                variable.assign(value)
        output = ops.transpose(outputs, (1, 0, 2)) if self.return_sequences else last
        return [output, *new_states] if self.return_state else output

    def _run(self, xs, states, mask, training):
        """(time-major outputs or None, last output, final states) of the cell over time-major xs."""
        cell = self.cell
        if getattr(cell, "splits_steps", False):
            input_mask, recurrent_mask = cell.dropout_masks(xs.shape[1], xs.shape[-1], xs.dtype, training)
            if mask is None and not self.unroll:
                fused = getattr(cell, "fused_sequence", lambda *_: None)(xs, states, input_mask, recurrent_mask)
                if fused is not None:
                    outputs, new_states = fused
                    return outputs, new_states[0], new_states
            xs = cell.project(xs, input_mask)

            def step(x, previous):
                return cell.recur(x, previous, recurrent_mask)
        else:
            keywords = cell._training_kwargs(training) if isinstance(cell, Layer) else {}

            def step(x, previous):
                output, new = cell.call(x, previous if len(previous) > 1 else previous[0], **keywords)
                return output, list(new) if isinstance(new, (list, tuple)) else [new]

        output_size = getattr(cell, "output_size", None) or flatten(self.state_size)[0]
        first_output = ops.zeros((xs.shape[1], output_size), dtype=self.dtype)
        zero_masked = self.zero_output_for_mask

        def scan_step(carry, inputs):
            previous, _ = carry
            if mask is None:
                output, new = step(inputs, previous)
            else:
                x, keep = inputs
                output, new = step(x, previous)
                new = pack_like(previous, [ops.where(keep, n, p) for n, p in zip(flatten(new), flatten(previous))])
                output = ops.where(keep, output, 0.0 if zero_masked else _previous_output(previous))
            return (new, output), (output if self.return_sequences else None)

        scan = eager_scan if self.unroll else active.backend.scan
        (new_states, last), outputs = scan(scan_step, (states, first_output), xs if mask is None else (xs, mask))
        return outputs, last, new_states

    def compute_mask(self, inputs, mask=None):
        mask = flatten(mask)[0] if mask is not None else None
        output_mask = mask if self.return_sequences else None
        return [output_mask] + [None] * len(flatten(self.state_size)) if self.return_state else output_mask

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        if isinstance(sequences_shape, list):
            sequences_shape = sequences_shape[0]
        batch, steps = sequences_shape[0], sequences_shape[1]
        output_size = getattr(self.cell, "output_size", None) or flatten(self.state_size)[0]
        output = (batch, steps, output_size) if self.return_sequences else (batch, output_size)
        if not self.return_state:
            return output
        return [output] + [[(batch, s) for s in size] if isinstance(size, (list, tuple)) else (batch, size)
                           for size in self.state_size]

    def get_config(self):
        from nnkit.layers.serialization import serialize

        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": serialize(self.cell),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from nnkit.layers.serialization import deserialize

        config = dict(config)
        cell = config.pop("cell")
        cell = [deserialize(c, custom_objects) for c in cell] if isinstance(cell, list) else deserialize(cell, custom_objects)
        return cls(cell, **config)


def _previous_output(states):
    """The output a masked step repeats: the first state (of the last cell, for stacked cells), as Keras."""
    last = states[-1]
    return last[0] if isinstance(last, (list, tuple)) else states[0]
