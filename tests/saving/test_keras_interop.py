"""Files move between nnkit and Keras 3: `.weights.h5` written by either loads into the equivalent model of
the other, and `.keras` archives (architecture, weights, compile settings, optimizer state) load both ways."""
import numpy as np
import pytest

import nnkit
from layer_checks import keras_or_skip

RNG = np.random.default_rng(5)
X = RNG.normal(size=(16, 4)).astype(np.float32)
Y = RNG.normal(size=(16, 2)).astype(np.float32)


def _recurrent(api):
    """The same architecture in nnkit or Keras: an LSTM's weights live under layers/lstm/cell/vars."""
    return api.Sequential([api.Input((5, 3)), api.layers.LSTM(4, return_sequences=True),
                           api.layers.LayerNormalization(), api.layers.Dense(2)])


def _shifted(model):
    model.set_weights([w + RNG.uniform(0.05, 0.2, size=w.shape).astype(w.dtype) for w in model.get_weights()])
    return model


def test_weights_files_load_both_ways(tmp_path):
    keras = keras_or_skip()
    ours = _shifted(_recurrent(nnkit))
    ours.save_weights(tmp_path / "nnkit.weights.h5")
    theirs = _recurrent(keras)
    theirs.load_weights(tmp_path / "nnkit.weights.h5")
    # Same weights in the same order: the layers' own Keras checks then make the outputs agree.
    for a, b in zip(theirs.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(a, b)

    theirs.set_weights([w * 0.5 for w in theirs.get_weights()])
    theirs.save_weights(tmp_path / "keras.weights.h5")
    ours.load_weights(tmp_path / "keras.weights.h5")
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)


def _functional(api):
    inputs = api.Input((4,), name="features")
    hidden = api.layers.Dense(8, activation="relu", name="hidden")(inputs)
    normalized = api.layers.BatchNormalization(name="norm")(hidden)
    return api.Model(inputs, api.layers.Dense(2, name="out")(normalized))


def test_keras_archives_load_both_ways_with_optimizer_state(tmp_path):
    keras = keras_or_skip()
    ours = _functional(nnkit)
    ours.compile(optimizer=nnkit.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    ours.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    ours.save(tmp_path / "nnkit.keras")

    theirs = keras.models.load_model(tmp_path / "nnkit.keras")
    assert int(theirs.optimizer.iterations.numpy()) == 2
    assert theirs.optimizer.learning_rate.numpy() == pytest.approx(0.01)
    np.testing.assert_allclose(np.asarray(theirs(X)), ours.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    ours_momenta = [np.asarray(m) for m in ours.optimizer.state["momentum"]]
    keras_momenta = [v.numpy() for v in theirs.optimizer.variables if v.path.endswith("_momentum")]
    for a, b in zip(keras_momenta, ours_momenta):
        np.testing.assert_array_equal(a, b)

    theirs.optimizer.iterations.assign(5)
    theirs.set_weights([w * 0.5 for w in theirs.get_weights()])
    theirs.save(tmp_path / "keras.keras")
    back = nnkit.models.load_model(tmp_path / "keras.keras")
    assert back.optimizer.iterations == 5 and back.loss == "mse"
    for a, b in zip(back.optimizer.state["momentum"], ours_momenta):
        np.testing.assert_array_equal(np.asarray(a), b)
    np.testing.assert_allclose(back.predict(X, verbose=0), np.asarray(theirs(X)), rtol=1e-5, atol=1e-6)


def test_loss_scale_optimizer_state_loads_both_ways(tmp_path):
    # Keras stores the wrapper's own iteration and learning rate (unused), step counter and scale, then the
    # inner Adam's variables; growth every 2 steps makes the counter and the scale differ from their start.
    keras = keras_or_skip()
    ours = nnkit.Sequential([nnkit.Input((4,)), nnkit.layers.Dense(2)])
    ours.compile(optimizer=nnkit.optimizers.LossScaleOptimizer(nnkit.optimizers.Adam(0.01), dynamic_growth_steps=2),
                 loss="mse")
    ours.fit(X[:12], Y[:12], batch_size=4, epochs=1, shuffle=False, verbose=0)
    ours.save(tmp_path / "nnkit.keras")

    theirs = keras.models.load_model(tmp_path / "nnkit.keras")
    assert int(theirs.optimizer.step_counter.numpy()) == 1 and float(theirs.optimizer.dynamic_scale.numpy()) == 2.0**16
    assert int(theirs.optimizer.iterations.numpy()) == 3
    for name in ("momentum", "velocity"):
        keras_slots = [v.numpy() for v in theirs.optimizer.variables if v.path.endswith(f"_{name}")]
        assert len(keras_slots) == 2
        for a, b in zip(keras_slots, ours.optimizer.state[name]):
            np.testing.assert_array_equal(a, np.asarray(b))

    theirs.optimizer.step_counter.assign(0)
    theirs.optimizer.dynamic_scale.assign(8.0)
    theirs.optimizer.iterations.assign(5)
    theirs.save(tmp_path / "keras.keras")
    back = nnkit.models.load_model(tmp_path / "keras.keras")
    state = back.optimizer.state
    assert int(state["step_counter"]) == 0 and float(state["dynamic_scale"]) == 8.0 and back.optimizer.iterations == 5
    for name in ("momentum", "velocity"):
        for a, b in zip(state[name], ours.optimizer.state[name]):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
