"""The fit / evaluate / predict loops: History keys and lengths, validation_split (the tail) and
validation_data, sample_weight and class_weight as Keras defines them (against hand computations),
initial_epoch, shuffling, the Keras-style progress output, and callbacks inside a real fit
(EarlyStopping, ReduceLROnPlateau, CSVLogger). Every test runs on each installed backend.

Losses are checked with SGD(learning_rate=0.0) where the weights must stay put, so the loss Keras reports
for an epoch (the batch-size-weighted mean of the per-batch losses) can be computed by hand from predict()."""
import csv
import re

import numpy as np
import pytest

import nnkit
from nnkit import callbacks, optimizers
from nnkit.layers import Dense, Input
from nnkit.models import Sequential

RNG = np.random.default_rng(5)
X = RNG.standard_normal((20, 3)).astype("float32")
Y = RNG.standard_normal((20, 1)).astype("float32")
LABELS = RNG.integers(0, 2, size=20).astype("float32")
BINARY = (X[:, 0] > 0).astype("float32")


def _linear(outputs=1):
    return Sequential([Input(shape=(3,)), Dense(outputs)])


def _classifier():
    return Sequential([Input(shape=(3,)), Dense(4, activation="relu"), Dense(1, activation="sigmoid")])


def _frozen(backend, outputs=1):
    """A linear model whose weights never move (SGD with a zero rate), so losses can be computed by hand."""
    model = _linear(outputs)
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse", backend=backend)
    return model


# Compiling costs seconds on JAX, so tests that cannot change a model share one per backend: the frozen
# linear model (its weights never move) and a classifier whose weights the sharing tests do not look at.
_SHARED = {}


def _shared(kind, backend):
    key = (kind, backend.name)
    if key not in _SHARED:
        if kind == "frozen":
            _SHARED[key] = _frozen(backend)
        else:
            model = _classifier()
            model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"], backend=backend)
            _SHARED[key] = model
    return _SHARED[key]


@pytest.fixture
def frozen(backend):
    return _shared("frozen", backend)


@pytest.fixture
def classifier(backend):
    return _shared("classifier", backend)


def _squared_errors(model, x, y):
    """Per-sample mean squared error over the last axis, in float64."""
    prediction = model.predict(x, batch_size=len(x), verbose=0).astype(np.float64)
    y = np.asarray(y, np.float64).reshape(prediction.shape)
    return np.mean((prediction - y) ** 2, axis=-1)


# --- History ---------------------------------------------------------------------------------------------
def test_fit_returns_a_history_with_keras_keys_and_one_entry_per_epoch(classifier):
    model = classifier
    history = model.fit(X, BINARY, batch_size=5, epochs=3, verbose=0, validation_split=0.5)
    assert isinstance(history, callbacks.History)
    assert history is model.history
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 3 for values in history.history.values())
    assert all(isinstance(v, float) and np.isfinite(v) for values in history.history.values() for v in values)
    assert all(0.0 <= v <= 1.0 for v in history.history["accuracy"] + history.history["val_accuracy"])
    assert history.epoch == [0, 1, 2]
    assert history.params["epochs"] == 3 and history.params["steps"] == 2  # 10 training samples, batches of 5


def test_without_validation_there_are_no_val_keys(classifier):
    history = classifier.fit(X, BINARY, batch_size=5, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}


def test_validation_data_pairs_and_triples(frozen):
    model = frozen
    x_val, y_val = X[:10], Y[:10]
    errors = _squared_errors(model, x_val, y_val)
    history = model.fit(X, Y, batch_size=5, epochs=2, verbose=0, validation_data=(x_val, y_val))
    assert history.history["val_loss"] == pytest.approx([errors.mean()] * 2, rel=1e-5)
    weights = np.linspace(0.0, 2.0, 10).astype("float32")
    history = model.fit(X, Y, batch_size=5, epochs=1, verbose=0, validation_data=(x_val, y_val, weights))
    assert history.history["val_loss"] == pytest.approx([np.mean(weights * errors)], rel=1e-5)


def test_validation_split_takes_the_tail_before_shuffling(frozen):
    model = frozen
    errors = _squared_errors(model, X, Y)
    history = model.fit(X, Y, batch_size=5, epochs=2, verbose=0, validation_split=0.25, shuffle=True)
    assert history.params["steps"] == 3  # 15 training samples
    assert history.history["loss"] == pytest.approx([errors[:15].mean()] * 2, rel=1e-5)
    assert history.history["val_loss"] == pytest.approx([errors[15:].mean()] * 2, rel=1e-5)


# --- sample_weight and class_weight ----------------------------------------------------------------------
def test_sample_weight_scales_each_sample_loss_and_divides_by_the_batch_size(frozen):
    model = frozen
    errors = _squared_errors(model, X, Y)
    weights = RNG.uniform(0.1, 3.0, size=20).astype("float32")
    expected = np.sum(weights * errors) / len(X)  # Keras: sum(w * loss) / batch size, not / sum(w)
    assert not np.isclose(expected, np.sum(weights * errors) / weights.sum())

    history = model.fit(X, Y, sample_weight=weights, batch_size=5, epochs=1, verbose=0, shuffle=False)
    assert history.history["loss"] == pytest.approx([expected], rel=1e-5)
    assert model.evaluate(X, Y, sample_weight=weights, batch_size=5, verbose=0) == pytest.approx(expected, rel=1e-5)
    assert model.test_on_batch(X, Y, sample_weight=weights) == pytest.approx(expected, rel=1e-5)


def test_zero_sample_weights_remove_samples_from_the_gradient(backend):
    model = _linear()
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse", backend=backend)
    before = model.get_weights()
    model.fit(X, Y, sample_weight=np.zeros(20, "float32"), batch_size=10, epochs=2, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


@pytest.mark.parametrize("label_shape", ["flat", "column"])
def test_class_weight_weights_samples_by_their_integer_label(frozen, label_shape):
    model = frozen
    labels = LABELS if label_shape == "flat" else LABELS[:, None]
    errors = _squared_errors(model, X, LABELS)
    class_weight = {0: 0.5, 1: 4.0}
    expected = np.mean(np.where(LABELS == 1, 4.0, 0.5) * errors)
    history = model.fit(X, labels, class_weight=class_weight, batch_size=5, epochs=1, verbose=0)
    assert history.history["loss"] == pytest.approx([expected], rel=1e-5)


def test_class_weight_with_one_hot_targets_uses_the_argmax(backend):
    model = _frozen(backend, outputs=3)
    classes = RNG.integers(0, 3, size=20)
    one_hot = np.eye(3, dtype="float32")[classes]
    errors = _squared_errors(model, X, one_hot)
    class_weight = {0: 1.0, 1: 2.0, 2: 5.0}
    expected = np.mean(np.array([1.0, 2.0, 5.0])[classes] * errors)
    history = model.fit(X, one_hot, class_weight=class_weight, batch_size=10, epochs=1, verbose=0)
    assert history.history["loss"] == pytest.approx([expected], rel=1e-5)


def test_classes_missing_from_class_weight_weigh_one(frozen):
    model = frozen
    errors = _squared_errors(model, X, LABELS)
    expected = np.mean(np.where(LABELS == 1, 3.0, 1.0) * errors)
    history = model.fit(X, LABELS, class_weight={1: 3.0}, batch_size=5, epochs=1, verbose=0)
    assert history.history["loss"] == pytest.approx([expected], rel=1e-5)


def test_class_weight_does_not_touch_the_validation_split(frozen):
    model = frozen
    errors = _squared_errors(model, X, LABELS)
    history = model.fit(X, LABELS, class_weight={0: 0.5, 1: 3.0}, validation_split=0.5, batch_size=5,
                        epochs=1, verbose=0)
    weights = np.where(LABELS == 1, 3.0, 0.5)
    assert history.history["loss"] == pytest.approx([np.mean(weights[:10] * errors[:10])], rel=1e-5)
    assert history.history["val_loss"] == pytest.approx([errors[10:].mean()], rel=1e-5)


# --- epochs, batches, order ------------------------------------------------------------------------------
def test_initial_epoch_resumes_the_epoch_count(backend, capsys):
    model = _linear()
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    history = model.fit(X, Y, batch_size=10, epochs=5, initial_epoch=3, verbose=2)
    assert history.epoch == [3, 4]
    assert len(history.history["loss"]) == 2
    assert model.optimizer.iterations == 2 * 2  # two epochs of two steps
    out = capsys.readouterr().out
    assert "Epoch 4/5" in out and "Epoch 5/5" in out and "Epoch 3/5" not in out


def test_shuffle_false_trains_on_the_batches_in_order(backend):
    nnkit.set_random_seed(0)
    model = _classifier()
    model.compile(optimizer=optimizers.SGD(learning_rate=0.5), loss="binary_crossentropy", backend=backend)
    start = model.get_weights()
    model.fit(X, BINARY, batch_size=5, epochs=1, verbose=0, shuffle=False)
    by_fit = model.get_weights()

    model.set_weights([w.copy() for w in start])
    for begin in range(0, 20, 5):
        model.train_on_batch(X[begin:begin + 5], BINARY[begin:begin + 5])
    for a, b in zip(by_fit, model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)

    model.set_weights([w.copy() for w in start])
    model.fit(X, BINARY, batch_size=5, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(by_fit, model.get_weights()):  # and again: deterministic
        np.testing.assert_array_equal(a, b)

    model.set_weights([w.copy() for w in start])
    model.fit(X, BINARY, batch_size=5, epochs=1, verbose=0, shuffle=True)
    assert not all(np.allclose(a, b) for a, b in zip(by_fit, model.get_weights()))  # another order, other steps


@pytest.mark.parametrize("shuffle", [False, True])
def test_device_resident_data_trains_exactly_like_batches_copied_from_the_host(backend, shuffle, monkeypatch):
    """fit() keeps small data sets on the device and gathers each batch there; the steps must be the same
    as with each batch copied from the host (shuffled order, uneven last batch and sample weights included)."""
    from nnkit.training import trainer

    def train(limit):
        monkeypatch.setattr(trainer, "RESIDENT_LIMIT_BYTES", limit)
        nnkit.set_random_seed(1)
        model = _classifier()
        model.compile(optimizer=optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"],
                      backend=backend)
        history = model.fit(X, BINARY, sample_weight=np.linspace(0.5, 1.5, 20), batch_size=6, epochs=3,
                            verbose=0, shuffle=shuffle)
        return history.history, model.get_weights()

    (resident_history, resident_weights), (copied_history, copied_weights) = train(2**30), train(0)
    for key in copied_history:
        np.testing.assert_allclose(resident_history[key], copied_history[key], rtol=1e-5, atol=1e-6)
    for a, b in zip(resident_weights, copied_weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_one_batch_calls_check_each_kind_of_batch_once_and_every_new_kind_again(frozen, monkeypatch):
    """train_on_batch, test_on_batch, predict_on_batch and make_train_function check a batch once per
    structure, type, dtype and shape; a new shape, float64 data or a list is checked and converted again."""
    model, checks = frozen, []
    check = model._check_input_shapes
    monkeypatch.setattr(model, "_check_input_shapes", lambda xs: checks.append(1) or check(xs))
    train_function = model.make_train_function()
    expected = model.test_on_batch(X[:4], Y[:4])
    checks.clear()
    for _ in range(3):
        train_function(X[:4], Y[:4])
        assert model.test_on_batch(X[:4], Y[:4]) == pytest.approx(expected, rel=1e-6)
    assert len(checks) == 0  # that kind of batch passed once already
    assert model.test_on_batch(X[:4].astype("float64"), Y[:4].astype("float64")) == pytest.approx(expected, rel=1e-6)
    assert model.test_on_batch(X[:4].tolist(), Y[:4].tolist()) == pytest.approx(expected, rel=1e-6)
    assert len(checks) == 2
    with pytest.raises(ValueError, match=r"expects samples of shape \(3,\).*has samples of shape \(5,\)"):
        train_function(RNG.standard_normal((4, 5)).astype("float32"), Y[:4])
    with pytest.raises(ValueError, match="cardinality"):
        model.test_on_batch(X[:4], Y[:3])


def test_epoch_loss_is_the_sample_weighted_mean_over_uneven_batches(frozen):
    model = frozen
    errors = _squared_errors(model, X, Y)
    history = model.fit(X, Y, batch_size=8, epochs=1, verbose=0)  # batches of 8, 8 and 4
    assert history.params["steps"] == 3
    assert history.history["loss"] == pytest.approx([errors.mean()], rel=1e-5)
    assert model.evaluate(X, Y, batch_size=8, verbose=0) == pytest.approx(errors.mean(), rel=1e-5)


def test_predict_keeps_the_sample_order_across_uneven_batches(backend):
    model = _linear()
    kernel, bias = model.get_weights()
    predictions = model.predict(X, batch_size=6, verbose=0)  # 6, 6, 6, 2
    np.testing.assert_allclose(predictions, X @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_fit_and_evaluate_accept_python_lists(frozen):
    model = frozen
    errors = _squared_errors(model, X, Y)
    history = model.fit(X.tolist(), Y.tolist(), batch_size=5, epochs=1, verbose=0)
    assert history.history["loss"] == pytest.approx([errors.mean()], rel=1e-5)
    assert model.evaluate(X.tolist(), Y.tolist(), batch_size=5, verbose=0) == pytest.approx(errors.mean(), rel=1e-5)


def test_training_lowers_the_loss(backend):
    nnkit.set_random_seed(1)
    model = _classifier()
    model.compile(optimizer=optimizers.Adam(learning_rate=0.05), loss="binary_crossentropy", metrics=["accuracy"],
                  backend=backend)
    history = model.fit(X, BINARY, batch_size=10, epochs=15, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    assert history.history["accuracy"][-1] >= 0.9


def test_fit_without_targets_is_a_clear_error(backend):
    model = _linear()
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    try:
        model.fit(X, verbose=0)
    except ValueError as error:
        assert "y" in str(error)
    except Exception as error:  # noqa: BLE001 - anything but a clear ValueError is the bug
        pytest.fail(f"unclear error: {type(error).__name__}: {error}")
    else:
        pytest.fail("fit(x) without targets did not fail")


# --- progress output -------------------------------------------------------------------------------------
def test_verbose_0_prints_nothing(classifier, capsys):
    model = classifier
    model.fit(X, BINARY, batch_size=5, epochs=2, verbose=0, validation_split=0.5)
    model.evaluate(X, BINARY, batch_size=5, verbose=0)
    model.predict(X, batch_size=5, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_1_and_2_print_keras_style_progress(classifier, capsys):
    model = classifier
    value = r"\d+\.\d{4}"
    timing = r"\d+s \d+(\.\d+)?(us|ms|s)/step"

    model.fit(X, BINARY, batch_size=5, epochs=2, verbose=1)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines[0] == "Epoch 1/2" and "Epoch 2/2" in lines
    bar = lines[1]
    assert re.match(rf"^4/4 ━+ {timing}", bar), bar
    assert re.search(rf"loss: {value}", bar) and re.search(rf"accuracy: {value}", bar)

    model.fit(X, BINARY, batch_size=5, epochs=2, verbose=2, validation_split=0.5)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines[0] == "Epoch 1/2"
    summary = lines[1]
    assert re.match(rf"^2/2 - \d+s - \d+(\.\d+)?(us|ms|s)/step", summary), summary
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert re.search(rf"(^| ){name}: {value}", summary), (name, summary)
    assert "━" not in summary  # verbose=2: one line per epoch, no bar

    model.evaluate(X, BINARY, batch_size=5, verbose=1)
    out = capsys.readouterr().out
    assert re.search(rf"4/4 ━+ {timing} - .*loss: {value}", out), out


# --- callbacks inside a real fit -------------------------------------------------------------------------
class _Recorder(callbacks.Callback):
    """Weights at each epoch end and the learning rate at each epoch start."""

    def __init__(self):
        super().__init__()
        self.weights, self.rates = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.rates.append(float(self.model.optimizer.learning_rate))

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def test_early_stopping_stops_and_restores_the_best_weights(backend):
    nnkit.set_random_seed(2)
    model = _classifier()
    model.compile(optimizer=optimizers.SGD(learning_rate=0.5), loss="binary_crossentropy", backend=backend)
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    recorder = _Recorder()
    # validating on flipped labels: the better the fit, the worse val_loss, so training soon stops improving it
    history = model.fit(X, BINARY, batch_size=10, epochs=20, verbose=0, validation_data=(X, 1.0 - BINARY),
                        callbacks=[stopper, recorder])
    val_loss = history.history["val_loss"]
    best = int(np.argmin(val_loss))
    assert len(val_loss) < 20
    assert stopper.best_epoch == best
    assert stopper.stopped_epoch == len(val_loss) - 1 == best + 2  # two epochs of patience after the best
    for restored, kept in zip(model.get_weights(), recorder.weights[best]):
        np.testing.assert_array_equal(restored, kept)
    assert not all(np.array_equal(a, b) for a, b in zip(model.get_weights(), recorder.weights[-1]))


def test_reduce_lr_on_plateau_lowers_the_rate_the_steps_use(backend):
    model = _linear()
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse", backend=backend)
    reducer = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=0.001)
    recorder = _Recorder()
    history = model.fit(X, Y, batch_size=20, epochs=4, verbose=0, validation_data=(X, -Y),
                        callbacks=[reducer, recorder])

    assert len(history.history["loss"]) == 4  # training went on after each cut
    assert recorder.rates == pytest.approx([0.1, 0.1, 0.05, 0.025], rel=1e-6)
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05, 0.025], rel=1e-6)
    assert model.optimizer.learning_rate == pytest.approx(0.0125, rel=1e-6)
    # one full-batch SGD step per epoch: each step must have used that epoch's rate
    kernel, bias = np.zeros((3, 1)), np.zeros(1)
    for rate, (new_kernel, new_bias) in zip(recorder.rates, recorder.weights):
        residual = X.astype(np.float64) @ kernel + bias - Y
        kernel = kernel - rate * 2.0 / len(X) * X.T.astype(np.float64) @ residual
        bias = bias - rate * 2.0 / len(X) * residual.sum(axis=0)
        np.testing.assert_allclose(new_kernel, kernel, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(new_bias, bias, rtol=1e-5, atol=1e-6)


def test_csv_logger_writes_one_row_per_epoch(classifier, tmp_path):
    path = tmp_path / "training.csv"
    model = classifier
    history = model.fit(X, BINARY, batch_size=5, epochs=3, verbose=0, validation_split=0.5,
                        callbacks=[callbacks.CSVLogger(str(path))])
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3
    assert set(rows[0]) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy"}
    assert [int(row["epoch"]) for row in rows] == [0, 1, 2]
    for key, values in history.history.items():
        assert [float(row[key]) for row in rows] == pytest.approx(values, rel=1e-12)
