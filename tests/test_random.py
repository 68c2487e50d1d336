"""nnkit.random: Keras 3's random ops and SeedGenerator, whose state threads through compiled steps."""
import numpy as np
import pytest

import nnkit
from conftest import BACKENDS
from nnkit.backends import active, get_backend
from nnkit import layers, random as nr


def test_integer_seed_repeats_and_generator_advances(backend):
    assert np.array_equal(np.asarray(nr.normal((3,), seed=1)), np.asarray(nr.normal((3,), seed=1)))
    generator = nr.SeedGenerator(42)
    first, second = np.asarray(nr.uniform((4,), seed=generator)), np.asarray(nr.uniform((4,), seed=generator))
    assert not np.array_equal(first, second)
    again = nr.SeedGenerator(42)
    assert np.array_equal(np.asarray(nr.uniform((4,), seed=again)), first)


def test_distributions_have_their_ranges_and_dtypes():
    values = np.asarray(nr.uniform((2000,), minval=2.0, maxval=3.0, seed=0))
    assert values.dtype == np.float32 and values.min() >= 2.0 and values.max() < 3.0
    normal = np.asarray(nr.normal((4000,), mean=1.0, stddev=2.0, seed=1))
    assert abs(normal.mean() - 1.0) < 0.15 and abs(normal.std() - 2.0) < 0.15
    truncated = np.asarray(nr.truncated_normal((4000,), stddev=0.5, seed=2))
    assert np.abs(truncated).max() <= 1.0 + 1e-6 and 0.35 < truncated.std() < 0.5
    integers = np.asarray(nr.randint((1000,), 3, 7, seed=3))
    assert integers.dtype == np.int32 and set(np.unique(integers)) == {3, 4, 5, 6}


def test_categorical_follows_the_logits():
    logits = np.log(np.array([[0.2, 0.8], [1.0, 1e-9]], np.float32))
    samples = np.asarray(nr.categorical(logits, 2000, seed=4))
    assert samples.shape == (2, 2000)
    assert abs(samples[0].mean() - 0.8) < 0.05 and samples[1].max() == 0


def test_dropout_and_shuffle():
    dropped = np.asarray(nr.dropout(np.ones(1000, np.float32), 0.25, seed=5))
    assert set(np.unique(dropped)) <= {0.0, np.float32(1 / 0.75)} and 0.2 < (dropped == 0).mean() < 0.3
    shuffled = np.asarray(nr.shuffle(np.arange(10), seed=6))
    assert sorted(shuffled) == list(range(10)) and list(shuffled) != list(range(10))


@pytest.mark.skipif("jax" not in BACKENDS, reason="JAX is not installed")
def test_every_random_op_runs_on_jax():
    with active.using(get_backend("jax")):
        draws = [nr.truncated_normal((3,), seed=1), nr.randint((3,), 0, 4, seed=2),
                 nr.categorical(np.zeros((2, 3), np.float32), 4, seed=3),
                 nr.dropout(np.ones(4, np.float32), 0.5, seed=4), nr.shuffle(np.arange(5), seed=5)]
    assert [np.asarray(d).shape for d in draws] == [(3,), (3,), (2, 4), (4,), (5,)]


def test_bad_seed_is_a_type_error():
    with pytest.raises(TypeError, match="seed must be"):
        nr.normal((2,), seed="x")


class _NoisyIdentity(layers.Layer):
    """Adds noise drawn from its own SeedGenerator in call()."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = nr.SeedGenerator(7)

    def call(self, inputs):
        return inputs + nr.normal(inputs.shape, stddev=0.1, seed=self.seed_generator)


def test_seed_generator_state_threads_through_training(backend):
    """As in Keras 3 the state is a non-trainable variable but no weight: not saved, counted or in get_weights()."""
    model = nnkit.Sequential([nnkit.Input((3,)), _NoisyIdentity(), layers.Dense(1)])
    state = model.non_trainable_variables
    assert [v.path.split("/")[-1] for v in state] == ["seed_generator_state"]
    assert model.non_trainable_weights == [] and len(model.get_weights()) == 2
    model.compile(loss="mse", backend=backend.name)
    before = state[0].numpy()
    model.fit(np.ones((8, 3), np.float32), np.ones((8, 1), np.float32), epochs=1, batch_size=4, verbose=0)
    after = state[0].numpy()
    assert not np.array_equal(before, after)
    first, second = model.predict(np.ones((2, 3), np.float32), verbose=0), model.predict(np.ones((2, 3)), verbose=0)
    assert not np.array_equal(first, second)  # each call draws new noise
