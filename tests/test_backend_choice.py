"""Which backend a model computes on: compile(backend=...) wins, else $NNKIT_BACKEND, else the config file
($NNKIT_HOME/nnkit.json), else numpy; unknown names are a ValueError naming the installed backends. The same
seed gives bit-identical initial weights on every backend, and compiling again on another backend keeps the
trained weights (and the optimizer's state) so training continues where it stopped."""
import json

import numpy as np
import pytest

import nnkit
from nnkit import optimizers
from nnkit.backends import available_backends, get_backend
from nnkit.config import config_path, default_backend_name
from nnkit.layers import Dense, Input
from nnkit.models import Sequential

BACKENDS = available_backends()
OTHER = next((name for name in BACKENDS if name != "numpy"), None)
needs_two = pytest.mark.skipif(OTHER is None, reason="needs a second installed backend (pip install 'nnkit[jax]')")

RNG = np.random.default_rng(9)
X = RNG.standard_normal((20, 4)).astype("float32")
LABELS = (X[:, 0] + X[:, 1] > 0).astype("float32")


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    """No $NNKIT_BACKEND and an empty $NNKIT_HOME, so the user's own settings cannot leak in."""
    monkeypatch.delenv("NNKIT_BACKEND", raising=False)
    monkeypatch.setenv("NNKIT_HOME", str(tmp_path))
    return tmp_path


def _write_config(home, content):
    (home / "nnkit.json").write_text(json.dumps(content))


def _model():
    return Sequential([Input(shape=(4,)), Dense(8, activation="relu"), Dense(1, activation="sigmoid")])


def _compiled_on(backend=None):
    model = _model()
    model.compile(optimizer="sgd", loss="binary_crossentropy", backend=backend)
    return model


# --- precedence ------------------------------------------------------------------------------------------
def test_default_is_numpy(clean_environment):
    assert default_backend_name() == "numpy"
    assert _compiled_on().backend.name == "numpy"


def test_the_config_file_lives_in_nnkit_home(clean_environment):
    assert config_path() == clean_environment / "nnkit.json"


@needs_two
def test_the_config_file_chooses_when_nothing_else_does(clean_environment):
    _write_config(clean_environment, {"backend": OTHER})
    assert _compiled_on().backend.name == OTHER


def test_a_config_file_without_a_backend_falls_back_to_numpy(clean_environment):
    _write_config(clean_environment, {"floatx": "float32"})
    assert _compiled_on().backend.name == "numpy"


@needs_two
def test_the_environment_beats_the_config_file(clean_environment, monkeypatch):
    _write_config(clean_environment, {"backend": "numpy"})
    monkeypatch.setenv("NNKIT_BACKEND", OTHER)
    assert _compiled_on().backend.name == OTHER
    _write_config(clean_environment, {"backend": OTHER})
    monkeypatch.setenv("NNKIT_BACKEND", "numpy")
    assert _compiled_on().backend.name == "numpy"


@pytest.mark.parametrize("chosen", BACKENDS)
def test_the_compile_argument_beats_environment_and_config(clean_environment, monkeypatch, chosen):
    others = [name for name in BACKENDS if name != chosen] or [chosen]
    _write_config(clean_environment, {"backend": others[0]})
    monkeypatch.setenv("NNKIT_BACKEND", others[-1])
    model = _compiled_on(chosen)
    assert model.backend.name == chosen
    assert model.backend is get_backend(chosen)


@pytest.mark.parametrize("chosen", BACKENDS)
def test_a_backend_object_is_accepted(clean_environment, chosen):
    assert _compiled_on(get_backend(chosen)).backend is get_backend(chosen)


@pytest.mark.parametrize("where", ["argument", "environment", "config"])
def test_an_unknown_backend_is_a_value_error_naming_the_installed_ones(clean_environment, monkeypatch, where):
    if where == "environment":
        monkeypatch.setenv("NNKIT_BACKEND", "theano")
    elif where == "config":
        _write_config(clean_environment, {"backend": "theano"})
    model = _model()
    with pytest.raises(ValueError) as info:
        model.compile(optimizer="sgd", loss="mse", backend="theano" if where == "argument" else None)
    message = str(info.value)
    assert "'theano'" in message
    assert all(name in message for name in BACKENDS)


# --- same seed, same start ---------------------------------------------------------------------------------
@needs_two
@pytest.mark.parametrize("initializer", ["glorot_uniform", "uniform", "he_normal", "lecun_normal", "orthogonal"])
def test_the_same_seed_gives_bit_identical_initial_weights_on_every_backend(clean_environment, initializer):
    weights = {}
    for name in BACKENDS:
        nnkit.set_random_seed(1234)
        model = Sequential([Input(shape=(4,)),
                            Dense(6, kernel_initializer=initializer, bias_initializer="random_normal"),
                            Dense(3, kernel_initializer=initializer)])
        model.compile(optimizer="adam", loss="mse", backend=name)
        weights[name] = model.get_weights()
    reference = weights["numpy"]
    for name in BACKENDS:
        assert [w.dtype for w in weights[name]] == [w.dtype for w in reference]
        for got, expected in zip(weights[name], reference):
            np.testing.assert_array_equal(got, expected)
    assert not np.all(reference[1] == 0)  # the random bias initializer really ran


# --- switching backend by compiling again ------------------------------------------------------------------
@needs_two
@pytest.mark.parametrize("start, then", [("numpy", OTHER), (OTHER, "numpy")])
def test_recompiling_on_another_backend_keeps_the_trained_weights(clean_environment, start, then):
    nnkit.set_random_seed(4)
    model = _model()
    model.compile(optimizer=optimizers.Adam(learning_rate=0.02), loss="binary_crossentropy", metrics=["accuracy"],
                  backend=start)
    model.fit(X, LABELS, batch_size=10, epochs=3, verbose=0)
    trained = model.get_weights()
    before = model.predict(X, batch_size=20, verbose=0)
    loss_before = model.evaluate(X, LABELS, batch_size=20, verbose=0)[0]

    model.compile(optimizer=optimizers.Adam(learning_rate=0.02), loss="binary_crossentropy", metrics=["accuracy"],
                  backend=then)
    assert model.backend.name == then
    for got, expected in zip(model.get_weights(), trained):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(model.predict(X, batch_size=20, verbose=0), before, rtol=1e-5, atol=1e-6)
    assert model.evaluate(X, LABELS, batch_size=20, verbose=0)[0] == pytest.approx(loss_before, rel=1e-5)

    history = model.fit(X, LABELS, batch_size=10, epochs=3, verbose=0)  # training continues on the new backend
    assert history.history["loss"][-1] < loss_before
    assert not np.array_equal(model.get_weights()[0], trained[0])


@needs_two
def test_switching_with_the_same_optimizer_continues_its_state(clean_environment):
    """numpy for 2 epochs, then the other backend for 2 with the same Adam: the same as 4 epochs on numpy."""
    def run(plan):
        nnkit.set_random_seed(8)
        model = _model()
        optimizer = optimizers.Adam(learning_rate=0.01)
        for backend, epochs in plan:
            model.compile(optimizer=optimizer, loss="binary_crossentropy", backend=backend)
            model.fit(X, LABELS, batch_size=10, epochs=epochs, verbose=0, shuffle=False)
        return model.get_weights(), optimizer.iterations

    switched, switched_steps = run([("numpy", 2), (OTHER, 2)])
    straight, straight_steps = run([("numpy", 4)])
    assert switched_steps == straight_steps == 8
    for a, b in zip(switched, straight):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@needs_two
def test_get_weights_is_numpy_on_every_backend(clean_environment):
    for name in BACKENDS:
        weights = _compiled_on(name).get_weights()
        assert all(type(w) is np.ndarray for w in weights)
