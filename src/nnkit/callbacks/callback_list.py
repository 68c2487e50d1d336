"""CallbackList: the one object the trainer calls, fanning each hook out to every callback."""
from nnkit.callbacks.callback import Callback
from nnkit.callbacks.history import History
from nnkit.callbacks.progbar_logger import ProgbarLogger


class CallbackList(Callback):
    """Calls each hook on every callback in order. Batch logs pass through untouched (no device sync);
    epoch, train-end and test-end logs get their 0-d arrays turned into floats in place, once."""

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = list(callbacks or ())
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if model is not None:
            self.set_model(model)
        self.set_params(params)

    def set_params(self, params):
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model):
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _call(self, hook, *args):
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", _given(logs))

    def on_train_end(self, logs=None):
        self._call("on_train_end", _pythonify(logs))

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, _given(logs))

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, _pythonify(logs))

    def on_batch_begin(self, batch, logs=None):
        self._call("on_batch_begin", batch, _given(logs))

    def on_batch_end(self, batch, logs=None):
        self._call("on_batch_end", batch, _given(logs))

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, _given(logs))

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, _given(logs))

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", _given(logs))

    def on_test_end(self, logs=None):
        self._call("on_test_end", _pythonify(logs))

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, _given(logs))

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, _given(logs))

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", _given(logs))

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", _given(logs))

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, _given(logs))

    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, _given(logs))


def _given(logs):
    return logs if logs is not None else {}


def _pythonify(logs):
    """Turn the 0-d array values of `logs` into Python floats, in place; one host sync per call."""
    if logs is None:
        return {}
    for key, value in logs.items():
        if not isinstance(value, (int, float)) and getattr(value, "shape", None) == ():
            logs[key] = float(value)
    return logs
