"""LearningRateScheduler: set the learning rate at the start of each epoch from a function."""
import inspect
import numbers

from nnkit.callbacks._keywords import check_keywords
from nnkit.callbacks._learning_rate import get_learning_rate, set_learning_rate
from nnkit.callbacks.callback import Callback


class LearningRateScheduler(Callback):
    """Calls `schedule(epoch, lr)` (or `schedule(epoch)`) before each epoch and applies the result."""

    @check_keywords
    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose
        self._takes_lr = _accepts_two_arguments(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        rate = get_learning_rate(self.model, "LearningRateScheduler")
        new_rate = self.schedule(epoch, rate) if self._takes_lr else self.schedule(epoch)
        if not (isinstance(new_rate, numbers.Real) or getattr(new_rate, "shape", None) == ()):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {new_rate!r}")
        set_learning_rate(self.model, new_rate)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(new_rate)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = get_learning_rate(self.model, "LearningRateScheduler")


def _accepts_two_arguments(schedule):
    """Whether `schedule` takes (epoch, lr), Keras' current form, rather than the older (epoch)."""
    try:
        signature = inspect.signature(schedule)
    except (TypeError, ValueError):  # some builtins cannot be inspected: assume the current form
        return True
    try:
        signature.bind(0, 0.1)
    except TypeError:
        return False
    return True
