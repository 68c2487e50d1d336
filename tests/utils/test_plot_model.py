"""plot_model draws the layer graph through pydot and Graphviz: a functional model's boxes and arrows in
the dot source, a real PNG, and an ImportError naming what to install where pydot or `dot` is missing."""
import shutil
import sys

import pytest

from nnkit import layers
from nnkit.models import Model, Sequential
from nnkit.utils import model_to_dot, plot_model
from image_checks import read_png

pytest.importorskip("pydot")


def _functional():
    a, b = layers.Input((4,), name="a"), layers.Input((3,), name="b")
    hidden = layers.Dense(5, name="hidden")(a)
    joined = layers.Concatenate(name="joined")([hidden, b])
    return Model([a, b], layers.Dense(1, name="out")(joined))


def test_the_graph_has_a_box_per_layer_and_an_arrow_per_connection():
    graph = model_to_dot(_functional(), show_shapes=True, show_layer_names=True)
    assert {node.get_name() for node in graph.get_nodes()} >= {"a", "b", "hidden", "joined", "out"}
    assert {(e.get_source(), e.get_destination()) for e in graph.get_edges()} == {
        ("a", "hidden"), ("hidden", "joined"), ("b", "joined"), ("joined", "out")}
    assert "joined (Concatenate)|output: (None, 8)" in graph.to_string()


def test_a_sequential_model_is_a_chain():
    model = Sequential([layers.Input((4,)), layers.Dense(3, name="first"), layers.Dense(2, name="second")])
    edges = model_to_dot(model).get_edges()
    assert [(e.get_source(), e.get_destination()) for e in edges] == [("first", "second")]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` is not installed (apt-get install graphviz)")
def test_plot_model_writes_a_real_png(tmp_path):
    plot_model(_functional(), to_file=tmp_path / "model.png", show_shapes=True, show_layer_names=True, dpi=50)
    height, width = read_png(tmp_path / "model.png").shape[:2]
    assert height > width > 50  # a top-to-bottom graph of four levels


def test_missing_pydot_or_dot_names_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match="pip install pydot"):
        plot_model(_functional(), to_file=tmp_path / "model.png")
    monkeypatch.undo()
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ImportError, match="apt-get install graphviz"):
        plot_model(_functional(), to_file=tmp_path / "model.png")
