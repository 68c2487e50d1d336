"""CallbackList: fan-out in order, default History/ProgbarLogger, float conversion only at epoch level."""
import numpy as np
import pytest

from nnkit.callbacks import Callback, CallbackList, History, ProgbarLogger


class Recorder(Callback):
    def __init__(self, name, calls):
        super().__init__()
        self.name = name
        self.calls = calls

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append((self.name, "epoch_begin", epoch))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append((self.name, "epoch_end", epoch, dict(logs)))

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append((self.name, "train_batch_end", batch, logs))

    def on_test_end(self, logs=None):
        self.calls.append((self.name, "test_end", dict(logs)))

    def on_predict_batch_end(self, batch, logs=None):
        self.calls.append((self.name, "predict_batch_end", batch, logs))


def test_hooks_reach_every_callback_in_order(model):
    calls = []
    cbs = CallbackList([Recorder("a", calls), Recorder("b", calls)], model=model)
    cbs.on_epoch_begin(0)
    cbs.on_epoch_end(0, {"loss": 1.0})
    assert calls == [("a", "epoch_begin", 0), ("b", "epoch_begin", 0),
                     ("a", "epoch_end", 0, {"loss": 1.0}), ("b", "epoch_end", 0, {"loss": 1.0})]


def test_missing_logs_become_an_empty_dict(model):
    calls = []
    cbs = CallbackList([Recorder("a", calls)], model=model)
    cbs.on_epoch_end(0)
    cbs.on_train_batch_end(0)
    assert calls == [("a", "epoch_end", 0, {}), ("a", "train_batch_end", 0, {})]


def test_model_and_params_reach_every_callback(model):
    user = Callback()
    cbs = CallbackList([user], add_history=True, add_progbar=True, model=model, verbose=1, epochs=3, steps=7)
    assert [type(c) for c in cbs.callbacks] == [Callback, History, ProgbarLogger]
    for callback in cbs.callbacks:
        assert callback.model is model
        assert callback.params == {"verbose": 1, "epochs": 3, "steps": 7}
    assert model.history is cbs.callbacks[1]


def test_defaults_are_added_only_when_asked_and_not_twice(model):
    assert CallbackList(None, model=model).callbacks == []
    history, progbar = History(), ProgbarLogger()
    cbs = CallbackList([progbar, history], add_history=True, add_progbar=True, model=model)
    assert cbs.callbacks == [progbar, history]
    assert model.history is history


def test_batch_logs_pass_through_untouched(model):
    calls = []
    cbs = CallbackList([Recorder("a", calls)], model=model)
    logs = {"loss": np.array(0.5, dtype=np.float32)}
    cbs.on_train_batch_end(0, logs)
    outputs = {"outputs": [np.ones((2, 3))]}
    cbs.on_predict_batch_end(0, outputs)
    assert calls[0][3] is logs and isinstance(logs["loss"], np.ndarray)
    assert calls[1][3] is outputs


@pytest.mark.parametrize("hook", ["on_epoch_end", "on_test_end", "on_train_end"])
def test_epoch_level_logs_turn_0d_arrays_into_floats_in_place(model, hook):
    cbs = CallbackList([], model=model)
    logs = {"loss": np.array(0.5, dtype=np.float32), "acc": np.float32(0.25), "n": 3, "vec": np.ones(2)}
    if hook == "on_epoch_end":
        cbs.on_epoch_end(0, logs)
    else:
        getattr(cbs, hook)(logs)
    assert type(logs["loss"]) is float and logs["loss"] == 0.5
    assert type(logs["acc"]) is float and logs["acc"] == 0.25
    assert logs["n"] == 3 and isinstance(logs["vec"], np.ndarray)


def test_values_added_by_a_callback_reach_the_history(model, fit):
    class AddsLearningRate(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["learning_rate"] = 0.1

    history = fit(model, [AddsLearningRate()], [{"loss": 1.0}])
    assert history.history == {"loss": [1.0], "learning_rate": [0.1]}
