"""Normalization layers under a mixed dtype policy (Keras' rule): statistics in float32 with float32 weights that
are never autocast, outputs in the compute dtype; float16 alone would overflow on the variance of large inputs."""
import numpy as np
import pytest

from nnkit import layers
from nnkit.backends import active

X = (np.random.default_rng(1).standard_normal((8, 4)) * 400).astype("float32")  # variance ~1.6e5 > float16 max


@pytest.mark.parametrize("kind", ["BatchNormalization", "LayerNormalization"])
def test_statistics_in_float32_and_outputs_in_float16(backend, kind):
    """(GroupNormalization shares the float32 path; BatchNormalization's training statistics are checked.)"""
    mixed, plain = getattr(layers, kind)(dtype="mixed_float16"), getattr(layers, kind)()
    expected = np.asarray(active.backend.to_numpy(plain(X, training=True)))
    out = mixed(X, training=True)
    assert str(out.dtype) == "float16"
    np.testing.assert_allclose(np.asarray(active.backend.to_numpy(out)).astype("float32"), expected, atol=2e-2)
    assert {str(v.numpy().dtype) for v in mixed.weights} == {"float32"}


def test_moving_statistics_stay_float32_precise(backend):
    layer = layers.BatchNormalization(dtype="mixed_float16", momentum=0.5)
    layer(X, training=True)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.5 + 0.5 * X.var(axis=0), rtol=1e-3)
