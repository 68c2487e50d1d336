"""LambdaCallback: a callback made from plain functions, one per hook."""
from nnkit.callbacks._keywords import check_keywords
from nnkit.callbacks.callback import Callback


class LambdaCallback(Callback):
    """Runs the given functions at their hooks, with the hook's arguments (`(epoch, logs)`, `(batch, logs)`, `(logs)`)."""

    @check_keywords
    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        on_batch_begin=None,
        on_batch_end=None,
        on_test_begin=None,
        on_test_end=None,
        on_test_batch_begin=None,
        on_test_batch_end=None,
        on_predict_begin=None,
        on_predict_end=None,
        on_predict_batch_begin=None,
        on_predict_batch_end=None,
    ):
        hooks = {name: function for name, function in locals().items() if name.startswith("on_")}
        super().__init__()
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)
