"""On JAX a model compiles its steps once per batch shape, not once per data set size: fits over 20, 40
and 21 batches, and evaluate/predict over any length, reuse the compiled steps; the short last batch is
padded and masked. Trace counters in the step functions count the compilations, and the padded batch
must give the unpadded numbers: loss, weighted metrics, predictions and the trained weights (against
NumPy, which never pads)."""
import collections

import numpy as np
import pytest

from nnkit import optimizers
from nnkit.layers import BatchNormalization, Dense, Input
from nnkit.models import Sequential
from nnkit.training.steps import StepFunctions

pytest.importorskip("jax")

BATCH = 4
RNG = np.random.default_rng(11)
X = RNG.standard_normal((4 * BATCH * 21 + 3, 3)).astype("float32")
Y = RNG.standard_normal((len(X), 2)).astype("float32")
W = RNG.uniform(0.5, 2.0, size=len(X)).astype("float32")


@pytest.fixture(scope="module")
def traces():
    """Counts each step function's Python runs; on JAX a run is a trace, so a compilation."""
    counts = collections.Counter()
    patch = pytest.MonkeyPatch()
    for name in ("train_step", "test_step", "predict_step"):
        original = getattr(StepFunctions, name)

        def counting(self, *args, _original=original, _name=name):
            counts[_name] += 1
            return _original(self, *args)

        patch.setattr(StepFunctions, name, counting)
    yield counts
    patch.undo()


def _model(backend, seed_weights=None):
    model = Sequential([Input(shape=(3,)), Dense(5, activation="tanh"), Dense(2)])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse", metrics=["mae"], backend=backend)
    if seed_weights is not None:
        model.set_weights(seed_weights)
    return model


@pytest.fixture(scope="module")
def jax_model(traces):
    return _model("jax")


def test_fits_over_20_40_and_21_batches_compile_the_train_step_once(jax_model, traces):
    jax_model.fit(X[:20 * BATCH], Y[:20 * BATCH], batch_size=BATCH, verbose=0)
    assert traces["train_step"] == 1
    jax_model.fit(X[:40 * BATCH], Y[:40 * BATCH], batch_size=BATCH, verbose=0)
    jax_model.fit(X[:21 * BATCH], Y[:21 * BATCH], batch_size=BATCH, verbose=0, shuffle=False)
    assert traces["train_step"] == 1
    jax_model.fit(X[:21 * BATCH + 1], Y[:21 * BATCH + 1], batch_size=BATCH, verbose=0)  # padded last batch
    jax_model.fit(X[:20 * BATCH + 3], Y[:20 * BATCH + 3], batch_size=BATCH, verbose=0)
    assert traces["train_step"] == 2


def test_evaluate_and_predict_over_any_length_compile_once_per_kind_of_batch(jax_model, traces):
    before_test, before_predict = traces["test_step"], traces["predict_step"]
    for size in (9, 13, 22, 23):
        jax_model.evaluate(X[:size], Y[:size], batch_size=BATCH, verbose=0)
        assert jax_model.predict(X[:size], batch_size=BATCH, verbose=0).shape == (size, 2)
    assert traces["test_step"] - before_test == 2  # full batches, and padded ones
    assert traces["predict_step"] - before_predict <= 2  # the build may have traced one already


def test_the_padded_last_batch_gives_the_unpadded_loss_metrics_and_predictions(jax_model):
    reference = _model("numpy", jax_model.get_weights())
    size = 3 * BATCH + 1
    for kwargs in ({}, {"sample_weight": W[:size]}):
        padded = jax_model.evaluate(X[:size], Y[:size], batch_size=BATCH, verbose=0, return_dict=True, **kwargs)
        unpadded = reference.evaluate(X[:size], Y[:size], batch_size=BATCH, verbose=0, return_dict=True, **kwargs)
        for name in ("loss", "mae"):
            np.testing.assert_allclose(padded[name], unpadded[name], rtol=1e-5)
    np.testing.assert_allclose(jax_model.predict(X[:size], batch_size=BATCH, verbose=0),
                               reference.predict(X[:size], batch_size=BATCH, verbose=0), rtol=1e-5, atol=1e-6)


def test_training_on_a_padded_last_batch_takes_the_unpadded_gradient_step(jax_model):
    weights = jax_model.get_weights()
    reference = _model("numpy", weights)
    padded = jax_model  # its full and padded train steps are compiled already
    size = 2 * BATCH + 1
    logs = padded.fit(X[:size], Y[:size], sample_weight=W[:size], batch_size=BATCH, shuffle=False, verbose=0)
    expected = reference.fit(X[:size], Y[:size], sample_weight=W[:size], batch_size=BATCH, shuffle=False, verbose=0)
    for name in ("loss", "mae"):
        np.testing.assert_allclose(logs.history[name], expected.history[name], rtol=1e-5)
    for got, want in zip(padded.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_steps_per_execution_runs_several_batches_per_call_with_the_unbatched_result(jax_model):
    weights = jax_model.get_weights()
    three = _model("jax")
    three.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse", metrics=["mae"], backend="jax",
                  steps_per_execution=3)
    size = 7 * BATCH + 2  # two executions of three batches, then one batch, then a padded one
    arrays = ((X[:size], Y[:size]), {"batch_size": BATCH, "shuffle": False})
    x, y = X[:size], Y[:size]
    generator = ((((x[i:i + BATCH], y[i:i + BATCH]) for i in range(0, size, BATCH)),), {})
    for args, kwargs in (arrays, generator):
        three.set_weights(weights)
        reference = _model("numpy", weights)
        got = three.fit(*args, verbose=0, **kwargs).history
        expected = reference.fit(X[:size], Y[:size], batch_size=BATCH, shuffle=False, verbose=0).history
        np.testing.assert_allclose(got["loss"], expected["loss"], rtol=1e-5)
        for a, b in zip(three.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_steps_per_execution_is_accepted_on_numpy_and_checked():
    model = _model("numpy")
    model.compile(optimizer="sgd", loss="mse", backend="numpy", steps_per_execution=4)
    assert len(model.fit(X[:9], Y[:9], batch_size=BATCH, verbose=0).history["loss"]) == 1
    with pytest.raises(ValueError, match="steps_per_execution.*positive"):
        model.compile(optimizer="sgd", loss="mse", steps_per_execution=0)


def test_batch_statistics_are_never_padded_in_training():
    """BatchNormalization's batch mean would count padding rows: its models train the short batch unpadded."""
    def bn_model(backend):
        model = Sequential([Input(shape=(3,)), Dense(4), BatchNormalization(), Dense(2)])
        model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse", backend=backend)
        return model

    reference, compiled = bn_model("numpy"), bn_model("jax")
    compiled.set_weights(reference.get_weights())
    for model in (reference, compiled):
        model.fit(X[:BATCH + 2], Y[:BATCH + 2], batch_size=BATCH, shuffle=False, verbose=0)
    for got, want in zip(compiled.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("resident", [True, False], ids=["resident", "host-batches"])
def test_steps_per_epoch_counts_batches_not_executions(resident, monkeypatch):
    """steps_per_epoch=10 with steps_per_execution=4 trains exactly ten batches (4 + 4 + 2), never more or fewer."""
    if not resident:
        monkeypatch.setattr("nnkit.training.trainer.RESIDENT_LIMIT_BYTES", 0)
    model = _model("jax")
    model.compile(optimizer="sgd", loss="mse", backend="jax", steps_per_execution=4)
    model.fit(X[:20 * BATCH], Y[:20 * BATCH], batch_size=BATCH, steps_per_epoch=10, epochs=2, verbose=0)
    assert model.optimizer.iterations == 20
