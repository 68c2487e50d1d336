"""Variable's Keras 3 API (assign_add/assign_sub, initializer construction) and add_weight's Keras arguments."""
import numpy as np
import pytest

import nnkit
from nnkit import constraints, layers


def test_assign_add_and_sub_keep_dtype_and_return_the_new_value(backend):
    variable = nnkit.Variable(np.array([1.0, 2.0], np.float32))
    assert np.array_equal(np.asarray(variable.assign_add(np.array([0.5, 0.5]))), [1.5, 2.5])
    variable.assign_sub(1.0)
    assert variable.numpy().tolist() == [0.5, 1.5] and variable.dtype == np.float32
    assert variable.shape == (2,) and variable.trainable
    assert np.asarray(variable * 2).tolist() == [1.0, 3.0]


def test_variable_from_an_initializer():
    variable = nnkit.Variable("ones", shape=(2, 3), dtype="float64", trainable=False, name="v")
    assert variable.numpy().tolist() == [[1.0] * 3] * 2 and variable.dtype == np.float64 and not variable.trainable
    with pytest.raises(ValueError, match="needs a shape"):
        nnkit.Variable("zeros")


class _Counter(layers.Layer):
    """Counts training calls in a non-trainable weight updated with assign_add inside call()."""

    def build(self, input_shape):
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, autocast=False,
                                     aggregation="sum", name="count")
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", constraint="non_neg",
                                     overwrite_with_gradient=False, name="scale")

    def call(self, inputs, training=None):
        if training:
            self.count.assign_add(1.0)
        return inputs * self.scale


def test_add_weight_takes_keras_arguments_and_assign_add_threads_through_fit(backend):
    model = nnkit.Sequential([nnkit.Input((2,)), _Counter(), layers.Dense(1)])
    counter = model.layers[0]
    assert counter.count.aggregation == "sum" and counter.count.autocast is False
    assert isinstance(counter.scale.constraint, constraints.NonNeg)
    model.compile(loss="mse", backend=backend.name)
    model.fit(np.ones((6, 2), np.float32), np.zeros((6, 1), np.float32), batch_size=2, epochs=1, verbose=0)
    assert counter.count.numpy() == 3.0


def test_add_weight_rejects_unknown_aggregation():
    with pytest.raises(ValueError, match="aggregation"):
        layers.Dense(1).add_weight(shape=(1,), aggregation="max")
