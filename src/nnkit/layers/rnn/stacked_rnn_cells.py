"""StackedRNNCells: several cells run as one, each step feeding one cell's output to the next."""
from nnkit.layers.layer import Layer


class StackedRNNCells(Layer):
    """Cells stacked in one step; states are a list with each cell's states (Keras' nesting)."""

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if not callable(getattr(cell, "call", None)) or getattr(cell, "state_size", None) is None:
                raise ValueError(f"StackedRNNCells '{self.name}': every cell needs a `call` method and a "
                                 f"`state_size`; received {cell!r}.")
        self.cells = list(cells)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        return getattr(last, "output_size", None) or _first_size(last.state_size)

    @property
    def uses_randomness(self):
        return any(getattr(cell, "uses_randomness", False) for cell in self.cells)

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
            input_shape = (input_shape[0], getattr(cell, "output_size", None) or _first_size(cell.state_size))

    def get_initial_state(self, batch_size):
        return [cell.get_initial_state(batch_size) for cell in self.cells]

    # --- the project/recur protocol of the built-in cells, when every cell follows it ------------------
    @property
    def splits_steps(self):
        return all(getattr(cell, "splits_steps", False) for cell in self.cells)

    def dropout_masks(self, batch_size, input_dim, dtype, training):
        """(the first cell's input mask, [(input mask, recurrent mask) of each cell])."""
        masks, width = [], input_dim
        for cell in self.cells:
            masks.append(cell.dropout_masks(batch_size, width, dtype, training))
            width = cell.output_size
        return masks[0][0], masks

    def project(self, inputs, input_mask=None):
        return self.cells[0].project(inputs, input_mask)

    def recur(self, projected, states, masks=None):
        new_states = []
        output = None
        for index, (cell, cell_states) in enumerate(zip(self.cells, states)):
            input_mask, recurrent_mask = masks[index] if masks is not None else (None, None)
            if index > 0:
                projected = cell.project(output, input_mask)
            output, new = cell.recur(projected, list(cell_states), recurrent_mask)
            new_states.append(new)
        return output, new_states

    def call(self, inputs, states, training=False):
        """One step of every cell in turn: (last cell's output, [each cell's new states])."""
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            keywords = cell._training_kwargs(training) if isinstance(cell, Layer) else {}
            inputs, new = cell.call(inputs, cell_states, **keywords)
            new_states.append(list(new) if isinstance(new, (list, tuple)) else [new])
        return inputs, new_states

    def get_config(self):
        from nnkit.layers.serialization import serialize

        return {**super().get_config(), "cells": [serialize(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from nnkit.layers.serialization import deserialize

        config = dict(config)
        cells = [deserialize(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)


def _first_size(state_size):
    return state_size[0] if isinstance(state_size, (list, tuple)) else state_size
