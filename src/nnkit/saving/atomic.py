"""Atomic writes: a file is written under a temporary name in the target's folder, flushed and fsynced,
then renamed over the target, so a process killed at any moment leaves the previous file intact."""
import contextlib
import os
import tempfile


def _sync_folder(folder):
    """Make the rename itself durable (a no-op where folders cannot be opened, as on Windows)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; when the block ends without error the temporary file is
    fsynced and renamed over `path`, otherwise it is removed and `path` is left as it was."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    os.close(descriptor)
    try:
        yield temporary
        with open(temporary, "rb+") as written:
            written.flush()
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    _sync_folder(folder)


@contextlib.contextmanager
def atomic_open(path, mode="wb"):
    """Yield a file object whose contents replace `path` atomically when the block ends without error."""
    with atomic_path(path) as temporary:
        with open(temporary, mode) as handle:  # closed (so flushed) before atomic_path fsyncs the file
            yield handle
