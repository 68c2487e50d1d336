"""The shared shape of SimpleRNN, LSTM and GRU: an RNN over one built-in cell whose settings it exposes."""
from nnkit.layers.rnn.rnn import RNN

_RNN_ARGUMENTS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll")
_LAYER_ARGUMENTS = ("name", "trainable", "dtype", "input_shape", "input_dim", "batch_input_shape", "batch_size",
                    "activity_regularizer")


class RecurrentLayer(RNN):
    """An RNN made from `cell_class(units, **cell arguments)`; its config is the cell's arguments plus the
    RNN's (no nested cell), as in Keras."""

    cell_class = None

    def __init__(self, units, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, use_cudnn="auto", zero_output_for_mask=False, **kwargs):
        layer_kwargs = {k: kwargs.pop(k) for k in _LAYER_ARGUMENTS if k in kwargs}
        cell = self.cell_class(units, dtype=layer_kwargs.get("dtype"), trainable=layer_kwargs.get("trainable", True),
                               name=f"{self.cell_class.__name__[:-4].lower()}_cell", **kwargs)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         zero_output_for_mask=zero_output_for_mask,
                         **layer_kwargs)
        self.use_cudnn = use_cudnn

    def __getattr__(self, name):
        cell = self.__dict__.get("cell")
        if cell is not None and name in cell.get_config() and name not in ("name", "trainable", "dtype"):
            return getattr(cell, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
