"""Callback base: no-op hooks, model and params wiring, the old on_batch_* names."""
from nnkit.callbacks import Callback

HOOKS_WITH_INDEX = ["on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end", "on_train_batch_begin",
                    "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
                    "on_predict_batch_end"]
HOOKS = ["on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end"]


def test_every_hook_is_a_no_op():
    callback = Callback()
    for hook in HOOKS_WITH_INDEX:
        assert getattr(callback, hook)(0, {"loss": 1.0}) is None
        assert getattr(callback, hook)(0) is None
    for hook in HOOKS:
        assert getattr(callback, hook)({"loss": 1.0}) is None


def test_set_model_and_set_params(model):
    callback = Callback()
    assert callback.model is None and callback.params == {}
    callback.set_model(model)
    callback.set_params({"epochs": 3, "steps": 10, "verbose": 1})
    assert callback.model is model
    assert callback.params == {"epochs": 3, "steps": 10, "verbose": 1}


def test_train_batch_hooks_fall_back_to_the_old_batch_names():
    seen = []

    class OldStyle(Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, logs))

    callback = OldStyle()
    callback.on_train_batch_begin(4)
    callback.on_train_batch_end(4, {"loss": 0.5})
    assert seen == [("begin", 4), ("end", 4, {"loss": 0.5})]
