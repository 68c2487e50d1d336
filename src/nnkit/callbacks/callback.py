"""The Callback base class: hooks the trainer calls around fit, evaluate and predict."""


class Callback:
    """Base for callbacks: `model` and `params` are set by the trainer; every hook is a no-op."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_params(self, params):
        """Receive the run's parameters (`verbose`, `epochs`, `steps`)."""
        self.params = params

    def set_model(self, model):
        """Receive the model being trained, evaluated or run."""
        self.model = model

    def _on_chief(self):
        """Whether this process writes files and logs: process 0 of a distributed job; always on one process."""
        trainer = getattr(self.model, "_trainer", None)
        return trainer is None or trainer.replicas.is_chief

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        """Older name for `on_train_batch_begin`, which calls it by default."""

    def on_batch_end(self, batch, logs=None):
        """Older name for `on_train_batch_end`, which calls it by default."""

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass
