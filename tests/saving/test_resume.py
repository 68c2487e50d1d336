"""A saved model resumes training where it stopped: compile settings and optimizer state come back, so one
more epoch after load_model gives the uninterrupted run's weights bit for bit (NumPy); a model saved while
compiled for JAX loads on NumPy with the same outputs and trains on."""
import numpy as np
import pytest

import nnkit
from nnkit import layers
from nnkit.backends import available_backends

RNG = np.random.default_rng(3)
X = RNG.normal(size=(32, 4)).astype(np.float32)
Y = RNG.normal(size=(32, 2)).astype(np.float32)


def _compiled(optimizer="adam", backend="numpy"):
    nnkit.set_random_seed(7)
    inputs = nnkit.Input((4,))
    hidden = layers.BatchNormalization()(layers.Dense(8, activation="tanh")(inputs))
    model = nnkit.Model(inputs, layers.Dense(2)(hidden))
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"], backend=backend)
    return model


def _fit(model, epochs, initial_epoch=0):
    model.fit(X, Y, batch_size=8, epochs=epochs, initial_epoch=initial_epoch, shuffle=False, verbose=0)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_one_more_epoch_after_load_model_matches_the_uninterrupted_run(suffix, tmp_path):
    uninterrupted = _compiled(nnkit.optimizers.Adam(0.01, amsgrad=True))
    _fit(uninterrupted, 2)

    interrupted = _compiled(nnkit.optimizers.Adam(0.01, amsgrad=True))
    _fit(interrupted, 1)
    interrupted.save(tmp_path / f"m{suffix}")
    resumed = nnkit.models.load_model(tmp_path / f"m{suffix}")
    assert resumed.optimizer.iterations == 4
    assert isinstance(resumed.optimizer, nnkit.optimizers.Adam) and resumed.optimizer.amsgrad
    _fit(resumed, 2, initial_epoch=1)
    for a, b in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_optimizer_state_is_stored_in_keras_order(tmp_path):
    import h5py

    model = _compiled(nnkit.optimizers.SGD(0.1, momentum=0.9))
    _fit(model, 1)
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as h5:
        stored = [h5[f"optimizer/vars/{i}"][()] for i in range(len(h5["optimizer/vars"]))]
    state = model.optimizer.state
    assert stored[0] == 4 and np.isclose(stored[1], 0.1)
    momenta = state["momentum"]
    assert len(stored) == 2 + len(momenta)
    for value, slot in zip(stored[2:], momenta):
        np.testing.assert_array_equal(value, np.asarray(slot))


@pytest.mark.skipif("jax" not in available_backends(), reason="needs JAX")
def test_saved_while_compiled_for_jax_loads_predicts_and_trains_on_numpy(tmp_path):
    on_jax = _compiled(backend="jax")
    _fit(on_jax, 1)
    on_jax.save(tmp_path / "m.keras")
    loaded = nnkit.models.load_model(tmp_path / "m.keras", backend="numpy")
    assert loaded.backend.name == "numpy" and loaded.optimizer.iterations == 4
    np.testing.assert_allclose(loaded.predict(X, verbose=0), on_jax.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    before = loaded.evaluate(X, Y, verbose=0)[0]
    _fit(loaded, 3, initial_epoch=1)
    assert loaded.optimizer.iterations == 12
    assert loaded.evaluate(X, Y, verbose=0)[0] < before
