"""Embedding: rows of the (input_dim, output_dim) table for integer inputs of any rank against NumPy indexing, the
gradient wrt the table (repeated indices accumulate; take's VJP on every backend) against finite differences,
Keras' weights and training step, masks (also passed along a Sequential), legacy keywords, configs and errors."""
import json

import numpy as np
import pytest

import nnkit
from gradcheck import backend_params, check_forward, to_host
from layer_checks import check_layer_gradients, one_step_matches_keras
from nnkit import layers, ops
from nnkit.layers import Embedding

RNG = np.random.default_rng(19)
TABLE = RNG.standard_normal((6, 3))

INDICES = {
    "1d": np.array([5, 0, 2]),
    "2d-repeated": np.array([[1, 1, 4], [0, 1, 5]]),
    "3d": RNG.integers(0, 6, (2, 2, 3)).astype(np.int32),
}


def _float64_layer(**kwargs):
    layer = Embedding(6, 3, dtype="float64", **kwargs)
    layer.build()
    layer.set_weights([TABLE])
    return layer


@pytest.mark.parametrize("backend, indices", backend_params(INDICES, lambda name, _: name == "2d-repeated"),
                         indirect=["backend"])
def test_output_is_the_rows_of_the_table(backend, float64, indices):
    layer = _float64_layer()
    (out,) = check_forward(lambda i: layer(i), lambda i: TABLE[i], indices)
    assert out.shape == indices.shape + (3,) == layer.compute_output_shape(indices.shape)


@pytest.mark.parametrize("backend, indices", backend_params(INDICES, lambda name, _: name == "2d-repeated"),
                         indirect=["backend"])
def test_gradient_wrt_the_table(backend, float64, indices):
    check_layer_gradients(_float64_layer(), indices, jit=True)


@pytest.mark.parametrize("backend, axis", backend_params({"axis-0": 0, "axis-1": 1, "axis-minus-1": -1},
                                                         lambda name, _: name == "axis-1"), indirect=["backend"])
def test_take_vjp_scatters_every_slice_back(backend, axis):
    """take's VJP rule alone (the tape's; a tracing backend's index_add returns a new array rather than adding
    in place, which the rule must use): repeated indices accumulate."""
    x = RNG.standard_normal((4, 5))
    indices = np.array([[3, 1], [3, 3]])
    out = np.take(x, indices, axis=axis)
    g = RNG.standard_normal(out.shape)
    grad = ops.take.rule(0)(backend.xp, backend.asarray(g), None, backend.asarray(x), backend.asarray(indices),
                            axis=axis)
    expected = np.zeros_like(x)
    moved = np.moveaxis(expected, axis, 0)
    np.add.at(moved, indices.reshape(-1), np.moveaxis(g, list(range(axis % 2, axis % 2 + 2)), [0, 1])
              .reshape((-1,) + moved.shape[1:]))
    np.testing.assert_allclose(to_host(grad), expected, rtol=1e-6)


def test_float32_table_gives_float32_and_float_indices_of_whole_numbers_are_cast(backend):
    layer = Embedding(6, 3)
    out = layer(backend.asarray(np.array([[1, 2]], np.int64)))
    assert np.dtype(out.dtype) == np.float32
    np.testing.assert_array_equal(to_host(layer(backend.asarray(np.array([[1.0, 2.0]], np.float32)))), to_host(out))


def test_mask_zero_marks_index_zero_as_padding(backend):
    indices = backend.asarray(np.array([[0, 3, 0], [2, 0, 1]]))
    masking = Embedding(6, 3, mask_zero=True)
    assert masking.supports_masking
    np.testing.assert_array_equal(to_host(masking.compute_mask(indices)), [[False, True, False], [True, False, True]])
    plain = Embedding(6, 3)
    assert not plain.supports_masking and plain.compute_mask(indices) is None


def test_the_mask_travels_along_a_sequential():
    """Embedding(mask_zero) -> LayerNormalization -> BatchNormalization: with momentum 0 the batch statistics
    become the moving mean, which must cover the non-padding timesteps only."""
    model = nnkit.Sequential([Embedding(5, 2, mask_zero=True, embeddings_initializer="random_normal", input_shape=(4,)),
                              layers.LayerNormalization(), layers.BatchNormalization(momentum=0.0)])
    model.compile(optimizer="sgd", loss="mse", backend="numpy")
    x = np.array([[1, 2, 0, 0], [3, 0, 4, 1]])
    embedded = model.layers[0].get_weights()[0][x]  # before the step changes the table
    model.train_on_batch(x, np.zeros((2, 4, 2), np.float32))
    normalized = (embedded - embedded.mean(-1, keepdims=True)) / np.sqrt(embedded.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(model.layers[2].moving_mean.numpy(), normalized[x != 0].mean(0), rtol=1e-4, atol=1e-5)


# --- Keras 3 --------------------------------------------------------------------------------------------------
def test_one_sgd_step_matches_keras():
    x = np.array([[1, 4, 4], [0, 2, 5], [3, 3, 1]])
    y = RNG.standard_normal((3, 1)).astype(np.float32)
    model, reference = one_step_matches_keras(lambda L: [L.Embedding(6, 2), L.Flatten(), L.Dense(1)], x, y, "mse")
    assert model.count_params() == reference.count_params() == 6 * 2 + 3 * 2 + 1


# --- keywords, configuration and errors --------------------------------------------------------------------------
def test_legacy_input_length_and_weights_keywords():
    layer = Embedding(6, 3, input_length=4, weights=[TABLE], trainable=False)
    np.testing.assert_allclose(layer.get_weights()[0], TABLE.astype(np.float32))
    model = nnkit.Sequential([layer, layers.Flatten()])
    assert model.outputs[0].shape == (None, 12)
    assert Embedding(100, 8)(layers.Input(shape=(7,))).shape == (None, 7, 8)
    assert [v.name for v in layer.weights] == ["embeddings"] and layer.trainable_weights == []


def test_config_round_trip():
    layer = Embedding(9, 4, embeddings_initializer="he_normal", embeddings_regularizer="l2", mask_zero=True,
                      name="emb_cfg")
    config = json.loads(json.dumps(layer.get_config()))
    assert (config["input_dim"], config["output_dim"], config["mask_zero"]) == (9, 4, True)
    clone = layers.deserialize(layers.serialize(Embedding.from_config(config)))
    assert isinstance(clone, Embedding) and clone.get_config() == layer.get_config()
    clone.build()
    assert clone.embeddings.shape == (9, 4) and clone.embeddings.regularizer is not None


def test_out_of_range_indices_name_the_layer_value_and_range():
    layer = Embedding(6, 3, name="words")
    with pytest.raises(ValueError, match=r"Embedding 'words': index 6 is out of range; valid indices are 0\.\.5"):
        layer(np.array([[1, 6]]))
    with pytest.raises(ValueError, match=r"index -1 is out of range"):
        layer(np.array([-1, 2]))


def test_non_integer_inputs_are_type_errors():
    layer = Embedding(6, 3, name="words")
    with pytest.raises(TypeError, match=r"Embedding 'words' takes integer indices.*float32.*1\.5"):
        layer(np.array([[1.5, 2.0]], np.float32))
    with pytest.raises(TypeError, match=r"takes integer indices, received inputs of dtype bool"):
        layer(np.array([True, False]))


@pytest.mark.parametrize("argument", ["input_dim", "output_dim"])
def test_sizes_must_be_positive_integers(argument):
    sizes = {"input_dim": 6, "output_dim": 3, argument: 0}
    with pytest.raises(ValueError, match=f"{argument} must be a positive integer, received 0"):
        Embedding(**sizes)
