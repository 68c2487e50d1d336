"""The user-facing save and load calls: model.save / load_model (`.keras` and legacy `.h5`),
save_weights / load_weights, to_json / model_from_json, to_yaml / model_from_yaml. Every file is written
atomically; loading never unpickles or evaluates anything (Lambda code only with safe_mode=False)."""
import json
import os

from nnkit.saving.atomic import atomic_open, atomic_path
from nnkit.saving.compile_config import compile_from_config, serialize_compile
from nnkit.saving.keras_archive import Archive, write_archive
from nnkit.saving import legacy_h5
from nnkit.saving.object_config import deserialize_layer, serialize_layer
from nnkit.saving.optimizer_state import optimizer_arrays, restore_optimizer
from nnkit.saving.weights_h5 import is_keras3_layout, open_h5, read_weights, write_weights

_LEGACY_SUFFIXES = (".h5", ".hdf5")


def _check_overwrite(filepath, overwrite):
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"'{filepath}' exists and overwrite=False; pass overwrite=True to replace it.")


def _check_built(model):
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet, so it has no weights to save: call it on data "
                         f"or give it an input shape first.")


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Save architecture, weights, compile settings and optimizer state to a `.keras` or `.h5` file."""
    filepath = os.fspath(filepath)
    _check_overwrite(filepath, overwrite)
    _check_built(model)
    config = serialize_layer(model)
    training = serialize_compile(model)
    if filepath.endswith(".keras"):
        if training is not None:
            config["compile_config"] = training
        with atomic_open(filepath) as handle:
            write_archive(handle, model, config, include_optimizer)
    elif filepath.endswith(_LEGACY_SUFFIXES):
        values = optimizer_arrays(model.optimizer) if include_optimizer else []
        with atomic_path(filepath) as temporary:
            with open_h5(temporary, "w") as h5:
                legacy_h5.write_model(h5, model, config, training, values)
    else:
        raise ValueError(f"Cannot tell the format of '{filepath}': the file name must end in '.keras' (Keras 3's "
                         f"zip) or '.h5' (one legacy HDF5 file).")


def _rebuilt(config, custom_objects, safe_mode, where):
    """The model a config describes, built (so its weights exist to load into)."""
    model = deserialize_layer(config, custom_objects, safe_mode)
    if not model.built:
        raise ValueError(f"Cannot load {where}: model '{model.name}' ({type(model).__name__}) is not built by its "
                         f"config alone (a subclassed model). Create it in code, call it on data, then "
                         f"model.load_weights({where}).")
    return model


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, backend=None):
    """The model saved in a `.keras` or `.h5` file, compiled (on `backend`, else the default) with its
    optimizer state restored, so training resumes where it stopped."""
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No model file at '{filepath}'.")
    if filepath.endswith(_LEGACY_SUFFIXES):
        return _load_legacy_model(filepath, custom_objects, compile, safe_mode, backend)
    with Archive(filepath) as archive:
        config = archive.config()
        model = _rebuilt(config, custom_objects, safe_mode, f"'{filepath}'")
        training = config.get("compile_config")
        if compile and training:
            compile_from_config(model, training, custom_objects, backend)
        archive.read_weights_into(model, load_optimizer=bool(compile and training))
    return model


def _load_legacy_model(filepath, custom_objects, compile, safe_mode, backend):
    with open_h5(filepath, "r") as h5:
        config, training, optimizer_values = legacy_h5.read_model_parts(h5, f"'{filepath}'")
        model = _rebuilt(config, custom_objects, safe_mode, f"'{filepath}'")
        legacy_h5.read_layers(h5["model_weights"], model, where=f"'{filepath}'")
    if compile and training:
        compile_from_config(model, training, custom_objects, backend)
        if optimizer_values:
            restore_optimizer(model, model.optimizer, optimizer_values, f"Cannot load '{filepath}'")
    return model


def save_weights(model, filepath, overwrite=True, attributes=None):
    """Write the weights (and optimizer state) in Keras 3's layout (`.weights.h5`), or Keras 2's for `.h5`;
    `attributes` (strings) are stored on the file's root, in the same atomic write."""
    filepath = os.fspath(filepath)
    _check_overwrite(filepath, overwrite)
    _check_built(model)
    if not filepath.endswith(_LEGACY_SUFFIXES):
        raise ValueError(f"The file name must end in '.weights.h5' (Keras 3's layout) or '.h5' (Keras 2's); "
                         f"received '{filepath}'.")
    with atomic_path(filepath) as temporary:
        with open_h5(temporary, "w") as h5:
            if filepath.endswith(".weights.h5"):
                write_weights(h5, model)
            else:
                legacy_h5.write_layers(h5, model)
            for key, value in (attributes or {}).items():
                h5.attrs[key] = value


def weights_file_attributes(filepath):
    """The root attributes of a weights file (those save_weights(attributes=...) stored among them)."""
    with open_h5(os.fspath(filepath), "r") as h5:
        return {key: value.decode("utf8") if isinstance(value, bytes) else value for key, value in h5.attrs.items()}


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """Load weights saved by save_weights (or Keras 3's, or Keras 2's `.h5`, or a `.keras` archive's); the
    whole file is checked first, so a mismatch leaves the model unchanged."""
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No weights file at '{filepath}'.")
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet: build it (call it on data, or give it an input "
                         f"shape) before loading weights into it.")
    if filepath.endswith(".keras"):
        with Archive(filepath) as archive:
            archive.read_weights_into(model, skip_mismatch)
        return
    where = f"'{filepath}'"
    with open_h5(filepath, "r") as h5:
        if by_name or not is_keras3_layout(h5):
            group = h5["model_weights"] if "model_weights" in h5 else h5
            legacy_h5.read_layers(group, model, by_name, skip_mismatch, where)
        else:
            read_weights(h5, model, skip_mismatch, where)


def model_to_json(model, **kwargs):
    """The model's architecture as a JSON string (Keras 3's format)."""
    return json.dumps(serialize_layer(model), **kwargs)


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """A new (unweighted) model from to_json()'s string, or one written by Keras."""
    try:
        config = json.loads(json_string)
    except json.JSONDecodeError as error:
        raise ValueError(f"The model JSON is not valid JSON: {error}") from None
    return deserialize_layer(config, custom_objects, safe_mode)


def model_to_yaml(model, **kwargs):
    """The model's architecture as YAML (the same tree as to_json)."""
    import yaml

    return yaml.dump(serialize_layer(model), Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), **kwargs)


def model_from_yaml(yaml_string, custom_objects=None, safe_mode=True):
    """A new model from to_yaml()'s text; YAML is read with the safe loader, so no tags construct objects."""
    import yaml

    try:
        config = yaml.load(yaml_string, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # safe: no tags
    except yaml.YAMLError as error:
        raise ValueError(f"The model YAML cannot be read safely: {error}") from None
    return deserialize_layer(config, custom_objects, safe_mode)
