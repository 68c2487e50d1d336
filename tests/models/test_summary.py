"""model.summary(): Keras' table (model name, header, one row per layer with its output shape and parameter
count, Total/Trainable/Non-trainable lines) with the parameter counts Keras gives for the same models."""
import itertools
import re

import numpy as np
import pytest

import nnkit
from layer_checks import keras_or_skip
from nnkit import layers
from nnkit.layers import Dense, Input
from nnkit.models import Sequential


def _summary_lines(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines


def _rows(lines):
    """{layer name: (type, output shape, params)} from the table body."""
    rows = {}
    for line in lines:
        match = re.match(r"^ (\S+) \((\w+)\)\s+(\(.*?\)|\?)\s+(\d+)$", line)
        if match:
            rows[match.group(1)] = (match.group(2), match.group(3), int(match.group(4)))
    return rows


def _totals(lines):
    found = {}
    for line in lines:
        match = re.match(r"^(Total|Trainable|Non-trainable) params: ([\d,]+) \((.*)\)$", line)
        if match:  # thousands separated as in Keras: "Total params: 25,461 (99.46 KB)"
            found[match.group(1)] = (int(match.group(2).replace(",", "")), match.group(3))
    return found


def _classic_mlp(name="pima"):
    return Sequential([Dense(12, input_dim=8, activation="relu", name="d12"),
                       Dense(8, activation="relu", name="d8"),
                       Dense(1, activation="sigmoid", name="d1")], name=name)


def test_keras_table_layout_and_counts_of_the_classic_mlp(backend):
    lines = _summary_lines(_classic_mlp())
    assert lines[0] == 'Model: "pima"'
    assert set(lines[1]) == {"_"} and len(lines[1]) == 65
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    assert set(lines[3]) == {"="}
    assert _rows(lines) == {"d12": ("Dense", "(None, 12)", 108),
                            "d8": ("Dense", "(None, 8)", 104),
                            "d1": ("Dense", "(None, 1)", 9)}
    # columns line up under the header
    header = lines[2]
    row = next(line for line in lines if line.startswith(" d12 "))
    assert row.index("(None, 12)") == header.index("Output Shape")
    assert row.index("108") == header.index("Param #")
    # 221 float32 parameters = 884 bytes
    assert _totals(lines) == {"Total": (221, "884.00 B"), "Trainable": (221, "884.00 B"),
                              "Non-trainable": (0, "0.00 B")}
    assert set(lines[-1]) == {"_"}


@pytest.mark.parametrize("build, expected_rows, total", [
    # Keras' MNIST MLP: Dense(512, input_shape=(784,)) -> Dense(512) -> Dense(10)
    (lambda: [Dense(512, input_shape=(784,), name="h1"), layers.Dropout(0.2, name="drop"),
              Dense(512, name="h2"), Dense(10, activation="softmax", name="out")],
     {"h1": 401920, "drop": 0, "h2": 262656, "out": 5130}, 669706),
    # Keras' getting-started model: Flatten(28x28) -> Dense(128) -> Dense(10)
    (lambda: [Input(shape=(28, 28)), layers.Flatten(name="flat"), Dense(128, activation="relu", name="hid"),
              Dense(10, name="logits")],
     {"flat": 0, "hid": 100480, "logits": 1290}, 101770),
    # no bias
    (lambda: [Dense(4, input_dim=3, use_bias=False, name="nobias")], {"nobias": 12}, 12),
])
def test_parameter_counts_match_keras(backend, build, expected_rows, total):
    model = Sequential(build())
    lines = _summary_lines(model)
    assert {name: row[2] for name, row in _rows(lines).items()} == expected_rows
    assert _totals(lines)["Total"][0] == total == model.count_params()


def test_output_shapes_of_multi_axis_layers(backend):
    model = Sequential([Input(shape=(2, 6)), layers.Reshape((3, 4), name="reshaped"), Dense(5, name="per_step")])
    rows = _summary_lines(model)
    assert _rows(rows)["reshaped"][1] == "(None, 3, 4)"
    assert _rows(rows)["per_step"] == ("Dense", "(None, 3, 5)", 25)


def test_a_frozen_layer_is_counted_as_non_trainable(backend):
    model = _classic_mlp()
    model.get_layer("d8").trainable = False
    totals = _totals(_summary_lines(model))
    assert totals["Total"] == (221, "884.00 B")
    assert totals["Trainable"] == (108 + 9, "468.00 B")
    assert totals["Non-trainable"] == (104, "416.00 B")


def test_a_frozen_model_is_all_non_trainable(backend):
    model = _classic_mlp()
    model.trainable = False
    totals = _totals(_summary_lines(model))
    assert totals["Trainable"][0] == 0
    assert totals["Non-trainable"][0] == 221


def test_line_length_widens_the_table(backend):
    lines = _summary_lines(_classic_mlp(), line_length=90)
    assert len(lines[1]) == 90 and set(lines[1]) == {"_"}
    assert _rows(lines)["d12"] == ("Dense", "(None, 12)", 108)


def test_summary_prints_to_stdout_by_default(backend, capsys):
    _classic_mlp(name="printed").summary()
    out = capsys.readouterr().out
    assert 'Model: "printed"' in out
    assert "Total params: 221" in out


def test_summary_of_a_model_built_from_data(backend):
    model = Sequential([Dense(4, name="first"), Dense(2, name="second")])
    model(np.zeros((3, 5), "float32"))
    rows = _rows(_summary_lines(model))
    assert rows == {"first": ("Dense", "(None, 4)", 24), "second": ("Dense", "(None, 2)", 10)}


# --- the Connected-to column, where Keras 3 shows it ----------------------------------------------------------
def _chain(api):
    inputs = api.Input((4,), name="x")
    return api.Model(inputs, api.layers.Dense(2, name="o")(api.layers.Dense(8, name="h")(inputs)), name="chain")


def _chain_with_two_outputs(api):
    inputs = api.Input((4,), name="x")
    hidden = api.layers.Dense(8, name="h")(inputs)
    return api.Model(inputs, [hidden, api.layers.Dense(2, name="o")(hidden)], name="chain2")


def _branches(api):
    inputs = api.Input((4,), name="x")
    added = api.layers.Add(name="add")([api.layers.Dense(8, name="a")(inputs), api.layers.Dense(8, name="b")(inputs)])
    return api.Model(inputs, added, name="branches")


def _shared_layer(api):
    inputs, shared = api.Input((4,), name="x"), api.layers.Dense(4, name="twice")
    return api.Model(inputs, shared(shared(inputs)), name="shared")


def _keras_columns(model):
    """(header, {layer: Connected-to cell}) of Keras 3's boxed table."""
    lines = []
    model.summary(print_fn=lambda line, line_break=False: lines.append(line))
    text = "\n".join(lines).splitlines()
    header = [cell.strip() for cell in next(line for line in text if "Layer (type)" in line).split("┃")[1:-1]]
    connected, layer = {}, None
    for line in text:
        row = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(row) == 4:  # a long cell wraps onto rows with an empty first column
            layer = row[0].split()[0] if row[0] else layer
            if row[3] and row[3] != "-":
                connected[layer] = f"{connected[layer]} {row[3]}" if layer in connected else row[3]
    return header, connected


def _nnkit_columns(model):
    """(header, {layer: comma-joined Connected-to links}) of nnkit's table."""
    lines = _summary_lines(model)
    header_line = lines[2]
    header = re.split(r"\s{2,}", header_line.strip())
    connected, layer = {}, None
    if "Connected to" in header:
        column = header_line.index("Connected to")
        for line in itertools.takewhile(lambda line: set(line) != {"="}, lines[4:]):
            if re.match(r"^ \S+ \(", line):
                layer = line.split()[0]
            link = line[column:].strip()
            if link and layer:
                connected[layer] = f"{connected[layer]}, {link}" if layer in connected else link
    return header, connected


@pytest.mark.parametrize("build", [_chain, _chain_with_two_outputs, _branches, _shared_layer])
def test_connected_to_column_appears_where_keras_shows_it(build):
    keras = keras_or_skip()
    assert _nnkit_columns(build(nnkit)) == _keras_columns(build(keras))


def test_sequential_subclasses_have_no_connected_to_column(backend):
    """Keras' rule is `isinstance(model, Sequential)`: a subclass repeating one layer is still a plain stack."""
    class Tower(Sequential):
        pass

    repeated = Dense(4, name="repeated")
    model = Tower([Input((4,)), repeated, repeated])
    header = re.split(r"\s{2,}", _summary_lines(model)[2].strip())
    assert header == ["Layer (type)", "Output Shape", "Param #"]
