"""Keras 3's HDF5 weights layout (`<layer path>/vars/<i>`, `optimizer/vars/<i>`), written and read so that
files move between nnkit and Keras 3. Reading checks the whole file before any weight changes."""
import warnings

import numpy as np

from nnkit.saving.layer_paths import layer_paths, own_variables
from nnkit.saving.optimizer_state import optimizer_groups, restore_optimizer
from nnkit.saving.weight_checks import accepted, mismatch


def open_h5(source, mode="r", where=None):
    """h5py.File on a path or file object; a file that is not HDF5 is a ValueError naming it."""
    import h5py

    try:
        return h5py.File(source, mode)
    except OSError as error:
        raise ValueError(f"Cannot read weights from {where or source!r}: it is not a readable HDF5 file "
                         f"(truncated or corrupt?): {error}") from None


def write_weights(h5, model, include_optimizer=True):
    """Write the model's variables (and its optimizer's state) into an open h5py.File."""
    for path, layer in layer_paths(model):
        group = h5.create_group(f"{path}/vars" if path else "vars")
        group.attrs["name"] = layer.name
        for index, variable in enumerate(own_variables(layer)):
            group.create_dataset(str(index), data=variable.numpy())
    optimizer = getattr(model, "optimizer", None)
    for path, name, arrays in optimizer_groups(optimizer) if include_optimizer else []:
        group = h5.create_group(f"{path}/vars")
        group.attrs["name"] = name
        for index, value in enumerate(arrays):
            group.create_dataset(str(index), data=value)


def _stored(h5, path):
    """The arrays under `<path>/vars`, by index, or None when the group is missing."""
    name = f"{path}/vars" if path else "vars"
    if name not in h5:
        return None
    group = h5[name]
    try:
        return [np.asarray(group[str(i)]) for i in range(len(group))]
    except (KeyError, OSError) as error:
        raise ValueError(f"The weights of '{path or 'the model'}' in the file are damaged ({error}).") from None


def _layer_problem(path, layer, variables, stored):
    """Why `stored` cannot be loaded into `variables`, or None."""
    where = f"layer '{layer.name}' (file path '{path or '/'}')"
    if stored is None:
        return f"{where}: the file has no group '{path}/vars' for its {len(variables)} weights"
    return mismatch(where, variables, stored)


def read_weights(h5, model, skip_mismatch=False, where="the file", load_optimizer=True):
    """Load an open Keras 3-layout h5py.File into `model`: everything is checked first, then assigned, so a
    mismatch leaves the model unchanged (with skip_mismatch, mismatched layers are skipped with a warning)."""
    candidates = []
    for path, layer in layer_paths(model):
        variables = own_variables(layer)
        stored = _stored(h5, path)
        if variables or stored:
            candidates.append((variables, _layer_problem(path, layer, variables, stored), stored))
    assignments = accepted(candidates, skip_mismatch, f"Cannot load weights from {where} into model '{model.name}': ")
    optimizer = getattr(model, "optimizer", None)
    optimizer_stored = _stored(h5, "optimizer") if load_optimizer and optimizer is not None else None
    if optimizer_stored:
        try:
            restore_optimizer(model, optimizer, optimizer_stored, f"Cannot load {where}")
        except ValueError as error:  # another optimizer than the file's: keep its state, as Keras does
            warnings.warn(f"Skipping the optimizer state, the weights are loaded: {error}", stacklevel=3)
    for variables, stored in assignments:
        for variable, value in zip(variables, stored):
            variable.assign(variable.backend.asarray(np.array(value, dtype=variable.dtype)))


def is_keras3_layout(h5):
    """Whether an open h5py.File uses Keras 3's `vars` layout (rather than Keras 2's layer_names)."""
    return "vars" in h5 or "layers" in h5 or ("layer_names" not in h5.attrs and "model_weights" not in h5)
