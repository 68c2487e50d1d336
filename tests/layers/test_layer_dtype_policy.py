"""Layer dtype policies (Keras 3's rules): `dtype=` takes a policy name, object or config; weights are made in the
variable dtype, floating inputs are cast to the compute dtype, float weights read inside call() in the compute
dtype, and get_config() writes the policy as Keras 3 does."""
import numpy as np
import pytest

from nnkit import config, layers, ops
from nnkit.backends import active
from nnkit.dtype_policies import DTypePolicy
from nnkit.ops.variable import Assigned


def to_host(value):
    return np.asarray(active.backend.to_numpy(value))


class SeesDtypes(layers.Layer):
    """Records the dtypes its call sees: its input, its autocast weight read by an op and its reported dtype, and
    an autocast=False counter read by an op."""

    def build(self, input_shape):
        self.scale = self.add_weight((input_shape[-1],), "ones", name="scale")
        self.count = self.add_weight((), "zeros", autocast=False, trainable=False, name="count")

    def call(self, inputs):
        self.seen = (str(inputs.dtype), str(ops.multiply(self.scale, 1.0).dtype), str(self.scale.dtype),
                     str(ops.add(self.count, 0.0).dtype))
        self.count.assign(ops.add(self.count, 1.0))
        return ops.multiply(inputs, self.scale)


@pytest.mark.parametrize("dtype", ["mixed_float16", DTypePolicy("mixed_float16"),
                                   {"class_name": "DTypePolicy", "config": {"name": "mixed_float16"}}])
def test_dtype_takes_a_name_a_policy_or_a_config(dtype):
    layer = layers.Dense(2, dtype=dtype)
    assert layer.dtype_policy == DTypePolicy("mixed_float16")
    assert (layer.compute_dtype, layer.variable_dtype, layer.dtype, layer.input_dtype) == (
        "float16", "float32", "float32", "float16")


def test_an_unknown_dtype_is_a_clear_error():
    with pytest.raises(ValueError, match="Cannot convert 'float8'"):
        layers.Dense(2, dtype="float8")


def test_layers_take_the_global_policy_when_made():
    config.set_dtype_policy("mixed_bfloat16")
    try:
        inside = layers.Dense(2)
        kept = layers.Dense(2, dtype="float32")
    finally:
        config.set_dtype_policy(None)
    assert inside.dtype_policy.name == "mixed_bfloat16" and kept.dtype_policy.name == "float32"
    assert layers.Dense(2).dtype_policy.name == config.floatx()


def test_mixed_layer_keeps_float32_weights_and_computes_in_float16(backend):
    layer = SeesDtypes(dtype="mixed_float16")
    out = layer(np.ones((2, 3), "float32"))
    assert str(out.dtype) == "float16"
    assert layer.seen == ("float16", "float16", "float16", "float32")
    assert {str(v.numpy().dtype) for v in layer.weights} == {"float32"}
    assert str(layer.scale.dtype) == "float32"  # outside the call: the variable's own dtype
    assert float(layer.count.numpy()) == 1.0 and str(layer.count.numpy().dtype) == "float32"


def test_a_float32_layer_casts_half_precision_inputs_up(backend):
    layer = layers.Dense(2, dtype="float32")
    out = layer(active.backend.asarray(np.ones((2, 3), "float16")))
    assert str(out.dtype) == "float32"


def test_float64_data_stays_float64_in_a_float32_layer(backend, float64):
    layer = layers.Activation("tanh")
    assert str(layer(active.backend.asarray(np.ones((2, 3), "float64"))).dtype) == "float64"


def test_autocast_false_takes_inputs_and_weights_as_they_are(backend):
    layer = SeesDtypes(dtype="mixed_float16", autocast=False)
    layer(np.ones((2, 3), "float32"))
    assert layer.seen[:2] == ("float32", "float32")


def test_integer_inputs_and_masks_are_not_cast(backend):
    embedding = layers.Embedding(5, 2, dtype="mixed_float16", mask_zero=True)
    out = embedding(active.backend.asarray(np.array([[1, 0]], "int32")))
    assert str(out.dtype) == "float16"
    assert str(embedding.compute_mask(np.array([[1, 0]]), None).dtype) == "bool"


def test_mixed_layer_matches_float32_within_float16_precision(backend):
    x = np.random.default_rng(0).random((4, 6), dtype=np.float32)
    mixed = layers.Dense(3, activation="tanh", dtype="mixed_bfloat16")
    plain = layers.Dense(3, activation="tanh")
    plain(x)
    mixed(x)
    mixed.set_weights(plain.get_weights())
    out = mixed(x)
    assert str(out.dtype) == "bfloat16"
    np.testing.assert_allclose(to_host(out).astype("float32"), to_host(plain(x)), atol=3e-2)


def test_gradients_reach_float32_weights_through_float16_compute(backend):
    layer = layers.Dense(2, dtype="mixed_float16")
    x = np.ones((3, 4), "float32")
    layer(x)

    def loss(params):
        with Assigned(layer.trainable_weights, params):
            return ops.sum(ops.cast(layer(x), "float32")), None

    grads = active.backend.value_and_grad(loss)([v.value for v in layer.trainable_weights])[1]
    assert [str(g.dtype) for g in grads] == ["float32", "float32"]
    np.testing.assert_allclose(to_host(grads[0]), np.full((4, 2), 3.0), rtol=1e-3)


def test_get_config_writes_keras_3s_policy_and_reads_both_forms():
    layer = layers.Dense(2, dtype="mixed_float16")
    written = layer.get_config()["dtype"]
    assert written == {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"},
                       "registered_name": None}
    assert layers.Dense.from_config(layer.get_config()).dtype_policy.name == "mixed_float16"
    assert layers.Dense.from_config({**layer.get_config(), "dtype": "float64"}).dtype_policy.name == "float64"


def test_keras_layer_configs_with_policies_load_both_ways():
    from layer_checks import keras_or_skip
    from nnkit.saving.object_config import deserialize_layer, serialize_layer

    keras = keras_or_skip()
    theirs = keras.layers.serialize(keras.layers.Dense(2, dtype="mixed_bfloat16"))
    assert deserialize_layer(theirs).dtype_policy.name == "mixed_bfloat16"
    back = keras.layers.deserialize(serialize_layer(layers.Dense(2, dtype="mixed_float16")))
    assert back.dtype_policy.name == "mixed_float16"
