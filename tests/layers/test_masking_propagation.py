"""Keras masks through models: `supports_masking` and `compute_mask` on layers, masks flowing from Masking and
Embedding(mask_zero=True) through the layers that keep them (Dense, Dropout, merges) into every call
that takes `mask=`, in functional and Sequential models on every backend; explicit `mask=` arguments;
merging as Keras 3 merges (Add: any, Concatenate: concatenated then any over the last axis); and a
masked output weighting the loss and metrics so that padded time steps count zero."""
import numpy as np
import pytest

import nnkit
from nnkit import layers, ops
from nnkit.layers import Dense, Dropout, Embedding, Input, Masking
from nnkit.models import Model, Sequential

TOKENS = np.array([[1, 2, 3, 0], [4, 0, 0, 0], [2, 2, 5, 1]])
KEEP = TOKENS != 0


class MaskAsOutput(layers.Layer):
    """Returns the mask it receives as 0/1 floats of shape (batch, steps) (-1 everywhere without one)."""

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.subtract(ops.zeros_like(inputs[..., 0]), 1.0)
        return ops.cast(mask, inputs.dtype)


class MaskedMean(layers.Layer):
    """The mean over the time steps the mask keeps."""

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.mean(inputs, axis=1)
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        return ops.divide(ops.sum(ops.multiply(inputs, weights), axis=1), ops.sum(weights, axis=1))


class DropsMasks(layers.Layer):
    """A layer that does not support masking (the default)."""

    def call(self, inputs):
        return inputs


def test_supports_masking_defaults_and_compute_mask():
    mask = np.array([[True, False]])
    plain = DropsMasks()
    assert not plain.supports_masking and plain.compute_mask(np.zeros((1, 2, 3)), mask) is None
    plain.supports_masking = True
    assert plain.compute_mask(np.zeros((1, 2, 3)), mask) is mask
    assert Dense(2).supports_masking and Dropout(0.5).supports_masking and layers.Add().supports_masking
    assert not layers.Reshape((2,)).supports_masking
    assert Masking().supports_masking  # overrides compute_mask


@pytest.mark.parametrize("backend_name", nnkit.backends.available_backends())
def test_embedding_mask_reaches_a_later_mask_argument_through_dense_and_dropout(backend_name):
    tokens = Input((4,), dtype="int32")
    x = Dropout(0.2)(Dense(3)(Embedding(6, 3, mask_zero=True)(tokens)))
    model = Model(tokens, [MaskAsOutput()(x), MaskedMean()(x)])
    model.compile("sgd", "mse", backend=backend_name)
    received, pooled = model.predict(TOKENS, verbose=0)
    np.testing.assert_array_equal(received, KEEP.astype("float32"))
    steps = Model(tokens, x).predict(TOKENS, verbose=0)
    expected = np.stack([steps[i][KEEP[i]].mean(0) for i in range(len(TOKENS))])
    # Two float32 means summed in different orders: a value near 0 needs an absolute tolerance too.
    np.testing.assert_allclose(pooled, expected, rtol=1e-5, atol=1e-7)


def test_sequential_propagates_masks():
    model = Sequential([Input((4, 2)), Masking(mask_value=0.0), Dense(2), MaskAsOutput()])
    x = np.ones((2, 4, 2), "float32")
    x[0, 2:] = 0.0
    np.testing.assert_array_equal(model.predict(x, verbose=0), [[1, 1, 0, 0], [1, 1, 1, 1]])


def test_a_layer_without_mask_support_drops_the_mask():
    tokens = Input((4,), dtype="int32")
    x = DropsMasks()(Embedding(6, 3, mask_zero=True)(tokens))
    np.testing.assert_array_equal(Model(tokens, MaskAsOutput()(x)).predict(TOKENS, verbose=0), -np.ones((3, 4)))


def test_an_explicit_mask_argument_wins():
    tokens, explicit = Input((4,), dtype="int32"), Input((4,), dtype="bool")
    x = Embedding(6, 3, mask_zero=True)(tokens)
    model = Model([tokens, explicit], MaskAsOutput()(x, mask=explicit))
    given = np.array([[1, 0, 0, 0]] * 3, bool)
    np.testing.assert_array_equal(model.predict([TOKENS, given], verbose=0), given.astype("float32"))


def test_merges_combine_masks_as_keras_3():
    first, second = Input((4,), dtype="int32"), Input((4,), dtype="int32")
    a, b = Embedding(6, 2, mask_zero=True)(first), Embedding(6, 2, mask_zero=True)(second)
    other = np.array([[0, 0, 1, 1], [1, 0, 0, 0], [0, 0, 0, 0]])
    model = Model([first, second], [MaskAsOutput()(layers.Add()([a, b])),
                                    MaskAsOutput()(layers.Concatenate(axis=1)([a, b]))])
    added, joined = model.predict([TOKENS, other], verbose=0)
    np.testing.assert_array_equal(added, KEEP | (other != 0))
    np.testing.assert_array_equal(joined, np.concatenate([KEEP, other != 0], axis=1))
    concatenate = layers.Concatenate()
    values = [np.ones((1, 2, 3)), np.ones((1, 2, 1))]
    np.testing.assert_array_equal(concatenate.compute_mask(values, [np.array([[True, False]]), None]), [[True, True]])
    assert layers.Add().compute_mask(values, [np.array([[True, False]]), None]) is None


@pytest.mark.parametrize("backend_name", nnkit.backends.available_backends())
def test_masked_output_weighs_loss_and_metrics_by_its_mask(backend_name):
    nnkit.set_random_seed(2)
    tokens = Input((4,), dtype="int32")
    model = Model(tokens, Dense(1)(Embedding(6, 3, mask_zero=True)(tokens)))
    model.compile("sgd", "mse", metrics=["mae"], backend=backend_name)
    y = np.arange(12, dtype="float32").reshape(3, 4, 1) / 10
    weights = np.array([1.0, 2.0, 0.5], "float32")
    error = model.predict(TOKENS, verbose=0)[..., 0] - y[..., 0]
    loss, mae = model.evaluate(TOKENS, y, verbose=0)
    np.testing.assert_allclose(loss, (error ** 2)[KEEP].mean(), rtol=1e-5)
    np.testing.assert_allclose(mae, np.abs(error)[KEEP].mean(), rtol=1e-5)
    if backend_name != "numpy":
        return  # one compiled test step shows the mask is traced like any array; the rest is backend-free
    weighted = model.evaluate(TOKENS, y, sample_weight=weights, verbose=0)[0]
    np.testing.assert_allclose(weighted, (error ** 2 * weights[:, None])[KEEP].sum() / KEEP.sum(), rtol=1e-5)
    before = [w.copy() for w in model.get_weights()]
    model.fit(TOKENS, y, epochs=2, batch_size=3, verbose=0)
    assert len(model.trainable_weights) == 3 and not np.allclose(before[1], model.get_weights()[1])


def test_padding_targets_do_not_move_the_weights():
    tokens = Input((4,), dtype="int32")
    model = Model(tokens, Dense(1)(Embedding(6, 3, mask_zero=True)(tokens)))
    model.compile("sgd", "mse")
    y = np.zeros((3, 4, 1), "float32")
    changed = y.copy()
    changed[~KEEP] = 100.0
    first = model.evaluate(TOKENS, y, verbose=0)
    assert model.evaluate(TOKENS, changed, verbose=0) == pytest.approx(first)


def test_subclassed_model_passes_masks_explicitly():
    class Pooler(Model):
        def __init__(self):
            super().__init__()
            self.embed = Embedding(6, 3, mask_zero=True)
            self.pool = MaskedMean()

        def call(self, tokens):
            x = self.embed(tokens)
            return self.pool(x, mask=self.embed.compute_mask(tokens))

    model = Pooler()
    pooled = np.asarray(model(TOKENS))
    table = model.embed.get_weights()[0]
    np.testing.assert_allclose(pooled[1], table[4], rtol=1e-6)
    np.testing.assert_allclose(pooled[0], table[[1, 2, 3]].mean(0), rtol=1e-6)
