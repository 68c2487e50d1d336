"""positive_integer: a layer's size argument (Dense units, Embedding input_dim, a cell's units) is an int above
0, else a ValueError naming the layer, the argument and the value received."""
import re

import numpy as np
import pytest

from nnkit.layers.positive_integer import positive_integer


def test_integers_above_zero_come_back_as_python_ints():
    assert positive_integer("Dense 'd'", "units", 3) == 3
    value = positive_integer("Dense 'd'", "units", np.int64(4))
    assert value == 4 and type(value) is int


@pytest.mark.parametrize("value", [0, -1, 2.0, True, "3", None])
def test_anything_else_is_an_error_naming_the_layer_and_argument(value):
    with pytest.raises(ValueError, match=rf"Embedding 'e': input_dim must be a positive integer, received "
                                         rf"{re.escape(repr(value))}\."):
        positive_integer("Embedding 'e'", "input_dim", value)
