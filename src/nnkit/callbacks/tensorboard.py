"""TensorBoard: writes losses, metrics, weight histograms and the model's config as TensorBoard event
files (Keras 3's layout: `log_dir/train` and `log_dir/validation`, tags `epoch_loss`, `batch_loss`, ...),
through tensorboardX's writer, which needs no TensorFlow."""
import os
import warnings

from nnkit.callbacks._keywords import check_keywords
from nnkit.callbacks._save_frequency import SaveFrequency
from nnkit.callbacks.callback import Callback


def _summary_writer(logdir):
    try:
        from tensorboardX import SummaryWriter
    except ImportError as error:
        raise ImportError("callbacks.TensorBoard writes event files with tensorboardX: pip install tensorboardX "
                          "(and tensorboard to view them).") from error
    return SummaryWriter(logdir=logdir)


class TensorBoard(Callback):
    """`update_freq`: 'epoch', 'batch' or every N batches (batch scalars `batch_<name>`);
    `histogram_freq`: weight histograms every N epochs (0: none); `write_graph`: the model's config as
    text (nnkit has no TensorFlow graph to draw). `profile_batch` is accepted for compatibility only."""

    @check_keywords
    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        self._frequency = SaveFrequency(update_freq, "TensorBoard", argument="update_freq", batch_name=True)
        if profile_batch:
            warnings.warn("TensorBoard(profile_batch=...): nnkit does not record profiles; the argument is ignored.",
                          stacklevel=2)
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.update_freq = self._frequency.value
        self._writers = {}
        self._global_batch = 0

    def _writer(self, name):
        if name not in self._writers:
            self._writers[name] = _summary_writer(os.path.join(self.log_dir, name))
        return self._writers[name]

    def on_train_begin(self, logs=None):
        self._global_batch = 0
        self._frequency.restart()
        if self.write_graph and self._on_chief():
            self._writer("train").add_text("keras", self.model.to_json(), 0)

    def on_train_batch_end(self, batch, logs=None):
        self._global_batch += 1
        if self._frequency.batch_ended() and self._on_chief():
            writer = self._writer("train")
            for name, value in (logs or {}).items():
                writer.add_scalar(f"batch_{name}", float(value), self._global_batch)

    def on_epoch_end(self, epoch, logs=None):
        if not self._on_chief():
            return
        for name, value in (logs or {}).items():
            split, tag = ("validation", name[4:]) if name.startswith("val_") else ("train", name)
            self._writer(split).add_scalar(f"epoch_{tag}", float(value), epoch)
        if self.histogram_freq and (epoch + 1) % self.histogram_freq == 0:
            writer = self._writer("train")
            for variable in self.model.weights:
                writer.add_histogram(variable.path, variable.numpy(), epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
