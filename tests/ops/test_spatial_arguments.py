"""The argument rules that ops and layers over spatial axes share: one int or one per axis, padding names,
data formats."""
import re

import pytest

from nnkit.ops.spatial_arguments import data_format_name, padding_name, per_axis


def test_an_int_is_repeated_per_axis_and_a_sequence_is_kept():
    assert per_axis(2, 3, "strides") == (2, 2, 2)
    assert per_axis([1, 2], 2, "strides") == (1, 2)
    assert per_axis((0, 3), 2, "padding", allow_zero=True) == (0, 3)


@pytest.mark.parametrize("value", [0, (1, 2, 3), (1, 0), True, 1.5, None])
def test_anything_else_is_an_error_naming_the_caller_and_the_value(value):
    message = f"conv: strides must be a positive int or a tuple of 2 positive ints, received strides={value!r}."
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        per_axis(value, 2, "strides", "conv")


def test_padding_names_are_case_insensitive_and_checked():
    assert padding_name("SAME") == "same"
    assert padding_name("causal", ("valid", "same", "causal")) == "causal"
    with pytest.raises(ValueError, match=r"^padding must be 'valid' or 'same', received padding='full'\.$"):
        padding_name("full")
    with pytest.raises(ValueError, match=r"^conv: padding must be one of \['valid', 'same', 'causal'\]"):
        padding_name(3, ("valid", "same", "causal"), "conv")


def test_data_formats_default_to_the_configured_one_and_are_checked():
    assert data_format_name(None) == "channels_last"
    assert data_format_name("channels_first") == "channels_first"
    message = "conv: data_format must be 'channels_last' or 'channels_first', received data_format='NHWC'."
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        data_format_name("NHWC", "conv")
