"""History: the per-epoch record that `fit` returns."""
from nnkit.callbacks.callback import Callback


class History(Callback):
    """Records every epoch's logs: `history[name]` is a list with one value per epoch, `epoch` the indices."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)
        self.model.history = self

    def plot(self, metrics=None, to_file=None, **kwargs):
        """Loss and metric curves, training against validation (matplotlib); see nnkit.utils.plot_history."""
        from nnkit.utils.plot_history import plot_history

        return plot_history(self, metrics=metrics, to_file=to_file, **kwargs)
