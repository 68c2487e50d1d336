"""Merge base: Keras' broadcast output shape, list/batch validation, rank alignment after the batch axis."""
import numpy as np
import pytest

from gradcheck import check_forward, check_gradients
from nnkit.layers import Input
from nnkit.layers.merging import Add
from nnkit.layers.merging.base import Merge

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("shapes, expected", [
    ([(None, 3), (None, 3)], (None, 3)),
    ([(None, 1), (None, 3)], (None, 3)),
    ([(None, 3), (None, 4, 3)], (None, 4, 3)),
    ([(None, 4, 1), (None, 1, 5), (None, 5)], (None, 4, 5)),
    ([(None, None), (None, 3)], (None, None)),
    ([(8, 3), (None, 3)], (8, 3)),
])
def test_output_shape_broadcasts_like_keras(shapes, expected):
    assert Add().compute_output_shape(shapes) == expected


@pytest.mark.parametrize("shapes, reason", [
    ([(None, 3), (None, 4)], "do not broadcast"),
    ([(None, 2, 3), (None, 3, 3)], "do not broadcast"),
    ([(8, 3), (4, 3)], "batch sizes"),
])
def test_incompatible_shapes_name_layer_and_shapes(shapes, reason):
    layer = Add(name="my_add")
    with pytest.raises(ValueError, match=reason) as error:
        layer([Input(batch_shape=s) for s in shapes])
    assert "my_add" in str(error.value) and all(str(s) in str(error.value) for s in shapes)


@pytest.mark.parametrize("inputs", [lambda: Input((3,)), lambda: [Input((3,))]])
def test_needs_a_list_of_two_inputs(inputs):
    with pytest.raises(ValueError, match="list of at least 2 inputs"):
        Add()(inputs())


def test_built_layer_checks_later_eager_calls():
    layer = Add(name="reused")
    layer([np.zeros((2, 3)), np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"reused.*\(2, 3\).*\(2, 4\)"):
        layer([np.zeros((2, 3)), np.zeros((2, 4))])


def test_merge_function_is_abstract():
    with pytest.raises(NotImplementedError):
        Merge()([np.zeros((2, 3)), np.zeros((2, 3))])


def test_lower_rank_inputs_broadcast_per_sample(backend, float64):
    # (2, 3) + (2, 4, 3): the first input is aligned as (2, 1, 3), not by NumPy's trailing rule on (2, 3).
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 4, 3))
    layer = Add()
    check_forward(lambda x, y: layer([x, y]), lambda x, y: x[:, None, :] + y, a, b)
    check_gradients(lambda x, y: layer([x, y]), a, b)
