"""Keras scripts run with only the import changed: the classic tf.keras-2 era Pima-diabetes MLP
(`Dense(12, input_dim=8, init='uniform')`, `RMSprop(lr=...)`) and a Keras 3 style classifier (`Input(shape=...)`,
`Sequential([...])`, `optimizers.Adam(learning_rate=...)`, `losses.SparseCategoricalCrossentropy(from_logits=True)`,
`metrics.SparseCategoricalAccuracy()`). The scripts are kept as text and executed unchanged; the backend is
picked the way a user would pick it without touching the script, through $NNKIT_BACKEND."""
import textwrap

import numpy as np
import pytest

from nnkit.backends import available_backends

BACKENDS = available_backends()

# The classic Keras script (Keras 1/2 spellings), with only `keras` replaced by `nnkit` in the imports; the
# CSV load is replaced by the X, Y arrays the test provides.
CLASSIC_SCRIPT = textwrap.dedent("""
    from nnkit.models import Sequential
    from nnkit.layers import Dense
    from nnkit.optimizers import RMSprop

    model = Sequential()
    model.add(Dense(12, input_dim=8, init='uniform', activation='relu'))
    model.add(Dense(8, init='uniform', activation='relu'))
    model.add(Dense(1, init='uniform', activation='sigmoid'))
    model.compile(loss='binary_crossentropy', optimizer=RMSprop(lr=0.001), metrics=['accuracy'])
    history = model.fit(X, Y, epochs=20, batch_size=10, verbose=0)
    scores = model.evaluate(X, Y, verbose=0)
    report = "%s: %.2f%%" % (model.metrics_names[1], scores[1] * 100)
    predictions = model.predict(X, verbose=0)
    rounded = [round(x[0]) for x in predictions]
""")

# A Keras 3 style script: `import keras` / `from keras import ...` became `nnkit`.
KERAS3_SCRIPT = textwrap.dedent("""
    import nnkit as keras
    from nnkit import Input, Sequential, layers, losses, metrics, optimizers

    keras.utils.set_random_seed(0)
    model = Sequential([
        Input(shape=(4,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(3),
    ])
    model.compile(
        optimizer=optimizers.Adam(learning_rate=1e-2),
        loss=losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[metrics.SparseCategoricalAccuracy()],
    )
    history = model.fit(x_train, y_train, batch_size=20, epochs=30, validation_split=0.2, verbose=0)
    test_scores = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", test_scores[0])
    print("Test accuracy:", test_scores[1])
""")




@pytest.fixture(params=BACKENDS)
def backend_from_environment(request, monkeypatch, tmp_path):
    """Choose the backend as a user would for an unchanged script: NNKIT_BACKEND (with a clean NNKIT_HOME)."""
    monkeypatch.setenv("NNKIT_BACKEND", request.param)
    monkeypatch.setenv("NNKIT_HOME", str(tmp_path))
    return request.param


def _pima_like(samples=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, size=(samples, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] - x[:, 2] > 0.5).astype("float32")
    return x, y


def test_the_classic_keras_script_runs_unchanged(backend_from_environment):
    import nnkit

    nnkit.set_random_seed(0)
    x, y = _pima_like()
    namespace = {"X": x, "Y": y}
    exec(CLASSIC_SCRIPT, namespace)  # noqa: S102 - the point is to run the script text as written

    model = namespace["model"]
    assert model.backend.name == backend_from_environment
    assert [layer.count_params() for layer in model.layers] == [108, 104, 9]
    assert model.optimizer.learning_rate == pytest.approx(0.001)  # lr= is the old spelling of learning_rate
    history = namespace["history"].history
    assert set(history) == {"loss", "accuracy"} and len(history["loss"]) == 20
    assert history["loss"][-1] < history["loss"][0] - 0.05
    loss, accuracy = namespace["scores"]
    assert accuracy >= 0.75
    assert namespace["report"] == f"accuracy: {accuracy * 100:.2f}%"
    predictions = namespace["predictions"]
    assert predictions.shape == (200, 1) and np.all((predictions > 0) & (predictions < 1))
    assert set(namespace["rounded"]) <= {0, 1}


def test_init_uniform_is_keras_2s_small_uniform_initializer(backend_from_environment):
    from nnkit.layers import Dense
    from nnkit.models import Sequential

    model = Sequential([Dense(200, input_dim=50, init="uniform")])
    kernel, bias = model.get_weights()
    assert np.all(np.abs(kernel) <= 0.05) and kernel.std() > 0.02  # RandomUniform(-0.05, 0.05)
    assert np.all(bias == 0)


@pytest.mark.parametrize("backend_from_environment", BACKENDS,
    indirect=True)
def test_a_keras_3_style_script_runs_unchanged(backend_from_environment, capsys):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((150, 4)).astype("float32")
    y = np.argmax(x[:, :3] + 0.1 * rng.standard_normal((150, 3)), axis=1)
    namespace = {"x_train": x[:100], "y_train": y[:100], "x_test": x[100:], "y_test": y[100:]}
    exec(KERAS3_SCRIPT, namespace)  # noqa: S102

    model = namespace["model"]
    assert model.backend.name == backend_from_environment
    history = namespace["history"].history
    assert set(history) == {"loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"}
    assert all(len(values) == 30 for values in history.values())
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    test_loss, test_accuracy = namespace["test_scores"]
    assert test_accuracy >= 0.85
    out = capsys.readouterr().out
    assert f"Test loss: {test_loss}" in out and f"Test accuracy: {test_accuracy}" in out
    logits = model.predict(x[100:], verbose=0)
    assert logits.shape == (50, 3)
    assert np.mean(np.argmax(logits, axis=1) == y[100:]) == pytest.approx(test_accuracy)


def test_keras_names_for_optimizers_losses_and_metrics(backend_from_environment):
    from nnkit.layers import Dense
    from nnkit.models import Sequential

    x, y = _pima_like(40)
    model = Sequential([Dense(4, input_shape=(8,), activation="relu"), Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc", "mse"])
    logs = model.evaluate(x, y, batch_size=20, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "acc", "mse"]
    assert type(model.optimizer).__name__ == "RMSprop"
    assert model.optimizer.lr == model.optimizer.learning_rate == pytest.approx(0.001)


def test_to_categorical_with_categorical_crossentropy(backend_from_environment):
    from nnkit.layers import Dense
    from nnkit.models import Sequential
    from nnkit.utils import to_categorical

    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 4)).astype("float32")
    y = to_categorical(np.argmax(x[:, :3], axis=1), num_classes=3)
    assert y.shape == (40, 3) and np.all(y.sum(axis=1) == 1)
    model = Sequential([Dense(3, input_shape=(4,), activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    logs = model.evaluate(x, y, batch_size=20, verbose=0, return_dict=True)
    probabilities = model.predict(x, batch_size=20, verbose=0)
    expected_loss = -np.mean(np.sum(y * np.log(np.clip(probabilities, 1e-7, 1.0)), axis=1))
    assert logs["loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert logs["accuracy"] == pytest.approx(np.mean(np.argmax(probabilities, 1) == np.argmax(y, 1)))


def test_model_input_and_output_shapes_like_keras():
    from nnkit.layers import Dense
    from nnkit.models import Sequential

    model = Sequential([Dense(12, input_dim=8), Dense(1)])
    assert model.input_shape == (None, 8)
    assert model.output_shape == (None, 1)
    assert model.input is model.inputs[0] and model.output is model.outputs[0]
