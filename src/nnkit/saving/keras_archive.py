"""Keras 3's `.keras` file: a zip holding config.json (the model and its compile settings),
metadata.json and model.weights.h5 (the weights layout of weights_h5)."""
import datetime
import io
import json
import zipfile

from nnkit.saving.weights_h5 import open_h5, read_weights, write_weights

CONFIG_NAME = "config.json"
METADATA_NAME = "metadata.json"
WEIGHTS_NAME = "model.weights.h5"
# Members larger than this are refused rather than unpacked (a zip bomb, not a model).
_MEMBER_LIMIT_BYTES = 64 * 2**30


def write_archive(handle, model, config, include_optimizer=True):
    """Write the archive into an open binary file."""
    from nnkit import __version__

    weights = io.BytesIO()
    with open_h5(weights, "w") as h5:
        write_weights(h5, model, include_optimizer)
    metadata = {"nnkit_version": __version__, "backend": model.backend.name,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    with zipfile.ZipFile(handle, "w") as archive:
        archive.writestr(METADATA_NAME, json.dumps(metadata))
        archive.writestr(CONFIG_NAME, json.dumps(config))
        archive.writestr(WEIGHTS_NAME, weights.getvalue())


class Archive:
    """A `.keras` file opened for reading, with clear errors for files that are not one."""

    def __init__(self, path):
        self.path = str(path)
        try:
            self.zip = zipfile.ZipFile(path, "r")
        except (zipfile.BadZipFile, OSError) as error:
            raise ValueError(f"Cannot load '{self.path}': it is not a .keras archive (a zip file), or it is "
                             f"truncated: {error}") from None
        names = set(self.zip.namelist())
        missing = [n for n in (CONFIG_NAME, WEIGHTS_NAME) if n not in names]
        if missing:
            raise ValueError(f"Cannot load '{self.path}': the archive lacks {missing}.")

    def _read(self, name):
        info = self.zip.getinfo(name)
        if info.file_size > _MEMBER_LIMIT_BYTES:
            raise ValueError(f"Cannot load '{self.path}': member {name} claims {info.file_size} bytes.")
        try:
            return self.zip.read(name)
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise ValueError(f"Cannot load '{self.path}': member {name} is damaged: {error}") from None

    def config(self):
        try:
            return json.loads(self._read(CONFIG_NAME))
        except json.JSONDecodeError as error:
            raise ValueError(f"Cannot load '{self.path}': {CONFIG_NAME} is not valid JSON: {error}") from None

    def read_weights_into(self, model, skip_mismatch=False, load_optimizer=True):
        with open_h5(io.BytesIO(self._read(WEIGHTS_NAME)), "r", f"{self.path}:{WEIGHTS_NAME}") as h5:
            read_weights(h5, model, skip_mismatch, f"'{self.path}'", load_optimizer)

    def close(self):
        self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
