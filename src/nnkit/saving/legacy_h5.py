"""Keras 2's HDF5 layout: a `layer_names` attribute listing the layers, each a group whose `weight_names`
attribute lists its weights in order (`dense/kernel:0` stored at `<layer>/dense/kernel:0`); a whole model
adds `model_config` and `training_config` attributes, `model_weights` and `optimizer_weights` groups."""
import json

import numpy as np

from nnkit.saving.weight_checks import accepted, mismatch


def _text(value):
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def _weighted_layers(model):
    """The model's top-level layers that have weights (a nested model counts as one layer)."""
    return [layer for layer in model.layers if layer.weights]


def write_layers(group, model):
    """Write the model's layers into `group` in Keras 2's layout."""
    group.attrs["layer_names"] = np.array([layer.name.encode("utf8") for layer in model.layers])
    group.attrs["backend"] = b"nnkit"
    for layer in model.layers:
        layer_group = group.create_group(layer.name)
        names = []
        for variable in layer.weights:
            name = f"{getattr(variable, 'path', variable.name)}:0"
            while name in names:
                name = f"{name[:-2]}_{len(names)}:0"
            names.append(name)
            layer_group.create_dataset(name, data=variable.numpy())
        layer_group.attrs["weight_names"] = np.array([n.encode("utf8") for n in names], dtype="S")


def _file_layers(group, where):
    """[(layer name, [arrays])] of the layers with weights in a Keras 2-layout group."""
    if "layer_names" not in group.attrs:
        raise ValueError(f"{where} is not a Keras weights file: it has neither Keras 3's 'vars' groups nor "
                         f"Keras 2's 'layer_names' attribute.")
    layers = []
    for name in (_text(n) for n in group.attrs["layer_names"]):
        if name not in group:
            raise ValueError(f"{where}: layer '{name}' is listed in 'layer_names' but its group is missing.")
        layer_group = group[name]
        weight_names = [_text(n) for n in layer_group.attrs.get("weight_names", [])]
        missing = [w for w in weight_names if w not in layer_group]
        if missing:
            raise ValueError(f"{where}: layer '{name}' lists weights {missing} that the file does not hold.")
        if weight_names:
            layers.append((name, [np.asarray(layer_group[w]) for w in weight_names]))
    return layers


def _problem(layer, arrays, file_name):
    return mismatch(f"layer '{layer.name}' (file layer '{file_name}')", layer.weights, arrays)


def read_layers(group, model, by_name=False, skip_mismatch=False, where="the file"):
    """Load a Keras 2-layout group into `model`, by topological order or by layer name; checked whole first."""
    stored = _file_layers(group, where)
    if by_name:
        by_layer_name = {layer.name: layer for layer in model.layers}
        pairs = [(by_layer_name[name], name, arrays) for name, arrays in stored if name in by_layer_name]
    else:
        targets = _weighted_layers(model)
        if len(targets) != len(stored):
            raise ValueError(
                f"Cannot load {where} into model '{model.name}': the file holds weights for {len(stored)} layers "
                f"{[name for name, _ in stored]}, but the model has {len(targets)} layers with weights "
                f"{[layer.name for layer in targets]}.")
        pairs = [(layer, name, arrays) for layer, (name, arrays) in zip(targets, stored)]
    candidates = [(layer, _problem(layer, arrays, name), arrays) for layer, name, arrays in pairs]
    for layer, arrays in accepted(candidates, skip_mismatch, f"Cannot load {where} into model '{model.name}': "):
        layer.set_weights(arrays)


def write_model(h5, model, model_config, training_config, optimizer_values):
    """A whole model in one Keras 2-layout HDF5 file."""
    from nnkit import __version__

    h5.attrs["backend"] = b"nnkit"
    h5.attrs["nnkit_version"] = __version__.encode("utf8")
    h5.attrs["model_config"] = json.dumps(model_config).encode("utf8")
    if training_config is not None:
        h5.attrs["training_config"] = json.dumps(training_config).encode("utf8")
    write_layers(h5.create_group("model_weights"), model)
    if optimizer_values:
        group = h5.create_group("optimizer_weights")
        names = [f"optimizer/vars/{i}" for i in range(len(optimizer_values))]
        for name, value in zip(names, optimizer_values):
            group.create_dataset(name, data=value)
        group.attrs["weight_names"] = np.array([n.encode("utf8") for n in names], dtype="S")


def read_model_parts(h5, where):
    """(model config, training config or None, optimizer arrays) of a whole-model Keras 2-layout file."""
    if "model_config" not in h5.attrs:
        raise ValueError(f"{where} holds no model config: it is a weights file; build the model in code and "
                         f"call model.load_weights({where!r}).")
    model_config = json.loads(_text(h5.attrs["model_config"]))
    training = h5.attrs.get("training_config")
    training_config = json.loads(_text(training)) if training is not None else None
    optimizer_values = []
    if "optimizer_weights" in h5:
        group = h5["optimizer_weights"]
        optimizer_values = [np.asarray(group[_text(n)]) for n in group.attrs.get("weight_names", [])]
    return model_config, training_config, optimizer_values
