"""LambdaCallback: each given function runs at its hook with the hook's arguments."""
from nnkit.callbacks import LambdaCallback


def test_functions_run_at_their_hooks(model, fit):
    calls = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch, dict(logs))),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, dict(logs))),
        on_train_end=lambda logs: calls.append("train_end"),
    )
    fit(model, [callback], [{"loss": 1.0}], steps=2, batch_logs=lambda e, b: {"loss": float(b)})
    assert calls == ["train_begin", ("epoch_begin", 0), ("batch_end", 0, {"loss": 0.0}),
                     ("batch_end", 1, {"loss": 1.0}), ("epoch_end", 0, {"loss": 1.0}), "train_end"]


def test_old_batch_names_and_evaluate_predict_hooks(model):
    calls = []
    callback = LambdaCallback(
        on_batch_end=lambda batch, logs: calls.append(("batch_end", batch)),
        on_test_end=lambda logs: calls.append(("test_end", logs)),
        on_predict_batch_begin=lambda batch, logs: calls.append(("predict_batch_begin", batch)),
    )
    callback.on_train_batch_end(3, {})
    callback.on_test_end({"loss": 0.5})
    callback.on_predict_batch_begin(1, {})
    assert calls == [("batch_end", 3), ("test_end", {"loss": 0.5}), ("predict_batch_begin", 1)]


def test_hooks_not_given_stay_no_ops():
    callback = LambdaCallback(on_epoch_end=lambda epoch, logs: None)
    assert callback.on_epoch_begin(0, {}) is None and callback.on_train_end({}) is None
