"""bind_call names a layer call's arguments after the parameters of its call(), the one place where a call is
bound to the signature (symbolic calls and functional-model mask routing both use it)."""
import pytest

from nnkit.layers import Dense, Layer
from nnkit.layers.call_arguments import bind_call


class _TwoInputs(Layer):
    def call(self, query, value, mask=None, training=False):
        return query


def test_positional_and_keyword_arguments_are_named_by_the_signature():
    layer = _TwoInputs(name="pair")
    bound = bind_call(layer, "q", ("v",), {"mask": "m"})
    assert dict(bound) == {"query": "q", "value": "v", "mask": "m"}


def test_arguments_left_out_are_not_bound():
    assert list(bind_call(_TwoInputs(), "q", (), {"value": "v"})) == ["query", "value"]


def test_a_call_the_signature_cannot_take_names_the_layer_and_its_signature():
    with pytest.raises(TypeError, match=r"Layer 'proj' \(Dense\) cannot be called with 2 positional argument\(s\) "
                                        r"and keywords \['extra'\]: .*Its call signature is call\(inputs\)"):
        bind_call(Dense(2, name="proj"), "x", ("y",), {"extra": 1})
