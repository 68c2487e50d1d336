"""CSVLogger: stream each epoch's logs to a CSV file."""
import csv
import os

from nnkit.callbacks._keywords import check_keywords
from nnkit.callbacks.callback import Callback


class CSVLogger(Callback):
    """Writes one row per epoch (`epoch` then the log keys, sorted), flushed at once so a crash
    mid-run leaves only complete lines; `append=True` continues an existing file."""

    @check_keywords
    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self._file = None
        self._writer = None
        self._header_pending = True

    def on_train_begin(self, logs=None):
        resume = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._close()
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer = csv.writer(self._file, delimiter=self.sep, lineterminator="\n")
        self._header_pending = not resume
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        if self._header_pending:
            self._write_row(["epoch", *self.keys])
            self._header_pending = False
        self._write_row([epoch, *(_cell(logs.get(key, "NA")) for key in self.keys)])

    def on_train_end(self, logs=None):
        self._close()

    def _write_row(self, row):
        self._writer.writerow(row)  # one write() per row, then flushed: no half lines on disk
        self._file.flush()

    def _close(self):
        if self._file is not None and not self._file.closed:
            self._file.close()


def _cell(value):
    """A log value as CSV text: numbers as they print, 0-d arrays as floats, sequences as `[a, b]`."""
    if isinstance(value, str):
        return value
    if getattr(value, "shape", None) == ():
        return float(value)
    if hasattr(value, "__iter__"):
        return f"[{', '.join(map(str, value))}]"
    return value
