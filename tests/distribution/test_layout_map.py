"""LayoutMap: a weight's layout by its path, exact key first, else the one pattern that fully matches (Keras 3)."""
import pytest

from nnkit.distribution import DeviceMesh, LayoutMap


@pytest.fixture
def layout_map():
    layout_map = LayoutMap(DeviceMesh((2, 2), ("batch", "model")))
    layout_map["dense.*/kernel"] = (None, "model")
    layout_map["dense.*/bias"] = "model"
    layout_map["embedding/embeddings"] = None
    return layout_map


def test_a_path_takes_the_layout_of_the_pattern_that_fully_matches_it(layout_map):
    assert layout_map["dense_3/kernel"] == (None, "model")
    assert layout_map["dense/bias"] == ("model",)  # one axis name is a one-dimension layout
    assert layout_map["outer/dense/kernel"] is None  # a pattern matches the whole path, not a part of it


def test_an_exact_key_wins_over_patterns(layout_map):
    layout_map["dense_1/kernel"] = ("model", None)
    assert layout_map["dense_1/kernel"] == ("model", None)


def test_unmatched_and_none_layouts_replicate_with_one_none_per_dimension(layout_map):
    assert layout_map.layout_for("conv/kernel", 4) == (None, None, None, None)
    assert layout_map.layout_for("embedding/embeddings", 2) == (None, None)
    assert layout_map.layout_for("dense/kernel", 2) == (None, "model")


def test_a_path_matching_two_patterns_is_an_error(layout_map):
    layout_map[".*/kernel"] = ("model", None)
    with pytest.raises(ValueError, match=r"'dense/kernel' matches several LayoutMap keys: \['dense\.\*/kernel', "):
        layout_map["dense/kernel"]


def test_a_layout_with_the_wrong_number_of_dimensions_is_an_error(layout_map):
    with pytest.raises(ValueError, match=r"layout \(None, 'model'\) of 2 dimensions, but the weight has 3"):
        layout_map.layout_for("dense/kernel", 3)


def test_unknown_mesh_axes_and_replaced_keys_are_errors(layout_map):
    with pytest.raises(ValueError, match=r"names mesh axes \['data'\], but the mesh's axes are \('batch', 'model'\)"):
        layout_map["conv/kernel"] = (None, "data")
    with pytest.raises(ValueError, match="already has a layout for 'dense.*/bias'"):
        layout_map["dense.*/bias"] = None


def test_it_reads_as_a_dict(layout_map):
    assert list(layout_map) == ["dense.*/kernel", "dense.*/bias", "embedding/embeddings"]
    assert "dense.*/bias" in layout_map and len(layout_map) == 3
    del layout_map["dense.*/bias"]
    assert len(layout_map) == 2
