"""ProgbarLogger: Keras' 'Epoch 3/10' headers and progress bar for fit, evaluate and predict."""
from nnkit.callbacks.callback import Callback
from nnkit.training.progbar import Progbar


class ProgbarLogger(Callback):
    """Prints progress to stdout, silent for validation inside fit as in Keras; values are shown as
    given, never re-averaged, since the trainer already passes running epoch means."""

    def __init__(self):
        super().__init__()
        self.progbar = None
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self.seen = 0
        self._in_fit = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs") or 1
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._start_progbar()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    def on_train_batch_end(self, batch, logs=None):
        self._advance(batch, logs)

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._start_progbar()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._advance(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs=None):
        self._start_progbar()

    def on_predict_batch_end(self, batch, logs=None):
        self._advance(batch, None)  # the logs hold the predictions, not values to show

    def on_predict_end(self, logs=None):
        self._finish(None)

    def _start_progbar(self):
        self.seen = 0
        self.progbar = Progbar(self.target, verbose=self.verbose, stateless_metrics=())

    def _advance(self, batch, logs):
        if self.progbar is None:
            self._start_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finish(self, logs):
        if self.progbar is None:
            self._start_progbar()
        if self.target is None:
            self.target = self.progbar.target = self.seen
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)
