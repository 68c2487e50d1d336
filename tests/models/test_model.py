"""The Model API outside the fit loop: compile() with strings and instances, loss_weights, evaluate's return
forms, predict and the *_on_batch methods (checked against hand computations), count_params,
get_weights/set_weights, and the errors a user meets (misspelt keywords, no compile, bad data).
Every test runs on each installed backend (the conftest `backend` fixture)."""
import numpy as np
import pytest

import nnkit
from nnkit import losses, metrics, optimizers
from nnkit.backends import available_backends
from nnkit.layers import Dense, Input
from nnkit.models import Model, Sequential

RNG = np.random.default_rng(7)
X = RNG.standard_normal((20, 3)).astype("float32")
Y = RNG.standard_normal((20, 1)).astype("float32")
LABELS = (X[:, 0] > 0).astype("float32")


def _linear(units=1, inputs=3, name="linear"):
    return Sequential([Input(shape=(inputs,)), Dense(units, name="dense_out")], name=name)


def _mlp():
    return Sequential([Dense(4, input_dim=3, activation="relu"), Dense(1, activation="sigmoid")])


def _hand_linear(model, x):
    kernel, bias = model.get_weights()
    return x.astype(np.float64) @ kernel + bias


# --- compile ---------------------------------------------------------------------------------------------
def test_compile_with_strings_and_with_instances_gives_the_same_numbers(backend):
    model = _linear()
    prediction = _hand_linear(model, X)
    mse = np.mean((prediction - Y) ** 2)
    mae = np.mean(np.abs(prediction - Y))

    model.compile(optimizer="sgd", loss="mse", metrics=["mae"], backend=backend.name)
    assert isinstance(model.optimizer, optimizers.SGD)
    assert model.backend is backend
    by_name = model.evaluate(X, Y, batch_size=20, verbose=0, return_dict=True)

    model.compile(optimizer=optimizers.SGD(learning_rate=0.05), loss=losses.MeanSquaredError(),
                  metrics=[metrics.MeanAbsoluteError()], backend=backend)
    assert model.optimizer.learning_rate == pytest.approx(0.05)
    by_instance = model.evaluate(X, Y, batch_size=20, verbose=0, return_dict=True)

    assert by_name == pytest.approx({"loss": mse, "mae": mae}, rel=1e-5)
    assert by_instance == pytest.approx({"loss": mse, "mean_absolute_error": mae}, rel=1e-5)


def test_compile_accepts_a_loss_function(backend):
    model = _linear()
    model.compile(optimizer="adam", loss=losses.mean_absolute_error, backend=backend)
    expected = np.mean(np.abs(_hand_linear(model, X) - Y))
    assert model.evaluate(X, Y, batch_size=20, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_loss_weights_weight_each_output_loss(backend):
    inputs = Input(shape=(3,))
    first = Dense(1, name="first")(inputs)
    second = Dense(2, name="second")(inputs)
    model = Model(inputs, [first, second])
    y1, y2 = Y, RNG.standard_normal((20, 2)).astype("float32")
    model.compile(optimizer="sgd", loss=["mse", "mae"], loss_weights=[2.0, 0.5], backend=backend)
    p1, p2 = model.predict(X, batch_size=20, verbose=0)
    l1, l2 = np.mean((p1 - y1) ** 2), np.mean(np.abs(p2 - y2))
    logs = model.evaluate(X, [y1, y2], batch_size=20, verbose=0, return_dict=True)
    assert logs == pytest.approx({"loss": 2.0 * l1 + 0.5 * l2, "first_loss": l1, "second_loss": l2}, rel=1e-5)

    model.compile(optimizer="sgd", loss={"first": "mse", "second": "mae"},
                  loss_weights={"first": 1.0, "second": 3.0}, backend=backend)
    logs = model.evaluate(X, {"first": y1, "second": y2}, batch_size=20, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(l1 + 3.0 * l2, rel=1e-5)




@pytest.mark.parametrize("backend_name", available_backends())
def test_metric_instances_made_before_compile_work_on_the_chosen_backend(backend_name):
    """No backend is activated here: the instance is made the way a user makes it, before compile."""
    model = _mlp()
    accuracy = metrics.BinaryAccuracy()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=[accuracy], backend=backend_name)
    history = model.fit(X, LABELS, batch_size=10, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "binary_accuracy"}
    logs = model.evaluate(X, LABELS, batch_size=10, verbose=0, return_dict=True)
    probabilities = model.predict(X, batch_size=10, verbose=0)[:, 0]
    assert logs["binary_accuracy"] == pytest.approx(np.mean((probabilities > 0.5) == LABELS))


def test_unknown_loss_and_optimizer_names_are_value_errors(backend):
    model = _linear()
    with pytest.raises(ValueError, match="adamm"):
        model.compile(optimizer="adamm", loss="mse", backend=backend)
    with pytest.raises(ValueError, match="mean_squared_errr"):  # at compile, or at the latest on first use
        model.compile(optimizer="sgd", loss="mean_squared_errr", backend=backend)
        model.evaluate(X, Y, verbose=0)


# --- evaluate and predict --------------------------------------------------------------------------------
def test_evaluate_returns_a_scalar_a_list_or_a_dict(backend):
    model = _mlp()
    model.compile(optimizer="sgd", loss="binary_crossentropy", backend=backend)
    scalar = model.evaluate(X, LABELS, batch_size=10, verbose=0)
    assert isinstance(scalar, float)

    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"], backend=backend)
    listed = model.evaluate(X, LABELS, batch_size=10, verbose=0)
    as_dict = model.evaluate(X, LABELS, batch_size=10, verbose=0, return_dict=True)
    assert isinstance(listed, list) and len(listed) == 2
    assert list(as_dict) == ["loss", "accuracy"] == model.metrics_names
    assert listed == [as_dict["loss"], as_dict["accuracy"]]
    assert listed[0] == pytest.approx(scalar, rel=1e-6)
    probabilities = model.predict(X, batch_size=10, verbose=0)[:, 0]
    assert as_dict["accuracy"] == pytest.approx(np.mean((probabilities > 0.5) == LABELS))


def test_predict_in_batches_equals_calling_the_model(backend):
    model = _mlp()
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    whole = np.asarray(model(X))
    batched = model.predict(X, batch_size=7, verbose=0)  # 7 + 7 + 6: the last batch is short
    assert isinstance(batched, np.ndarray) and batched.shape == (20, 1) and batched.dtype == np.float32
    np.testing.assert_allclose(batched, whole, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(model.predict_on_batch(X), whole, rtol=1e-6, atol=1e-7)


def test_predict_works_without_compile():
    model = _linear()
    np.testing.assert_allclose(model.predict(X, verbose=0), _hand_linear(model, X), rtol=1e-5, atol=1e-6)


def test_test_and_train_on_batch_against_a_hand_computed_sgd_step(backend):
    model = _linear()
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse", backend=backend)
    kernel, bias = model.get_weights()
    residual = _hand_linear(model, X) - Y
    loss = np.mean(residual ** 2)

    assert model.test_on_batch(X, Y) == pytest.approx(loss, rel=1e-5)
    for before, after in zip([kernel, bias], model.get_weights()):  # testing does not train
        np.testing.assert_array_equal(before, after)

    logs = model.train_on_batch(X, Y, return_dict=True)
    assert logs == pytest.approx({"loss": loss}, rel=1e-5)  # the loss before the step, as Keras reports
    grad_kernel = 2.0 / len(X) * X.T.astype(np.float64) @ residual
    grad_bias = 2.0 / len(X) * residual.sum(axis=0)
    new_kernel, new_bias = model.get_weights()
    np.testing.assert_allclose(new_kernel, kernel - 0.1 * grad_kernel, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_bias, bias - 0.1 * grad_bias, rtol=1e-5, atol=1e-6)

    assert model.test_on_batch(X, Y, return_dict=True)["loss"] < loss


def test_on_batch_methods_return_lists_with_metrics(backend):
    model = _mlp()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"], backend=backend)
    tested = model.test_on_batch(X, LABELS)
    trained = model.train_on_batch(X, LABELS)
    assert isinstance(tested, list) and len(tested) == 2
    assert trained == pytest.approx(tested, rel=1e-5)


def test_train_on_batch_reports_this_batch_only(backend):
    model = _linear()
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse", backend=backend)
    first, second = slice(0, 10), slice(10, 20)
    model.train_on_batch(X[first], Y[first] + 100.0)  # a huge loss that must not leak into the next call
    expected = np.mean((_hand_linear(model, X[second]) - Y[second]) ** 2)
    assert model.train_on_batch(X[second], Y[second]) == pytest.approx(expected, rel=1e-5)


# --- weights ---------------------------------------------------------------------------------------------
def test_count_params(backend):
    model = Sequential([Dense(12, input_dim=8), Dense(8), Dense(1)])
    assert model.count_params() == 221
    with pytest.raises(ValueError, match="not built"):
        Sequential([Dense(2)]).count_params()


def test_get_weights_returns_numpy_copies_in_keras_order(backend):
    model = _mlp()
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(3, 4), (4,), (4, 1), (1,)]
    assert all(type(w) is np.ndarray and w.dtype == np.float32 for w in weights)
    weights[0][...] = 123.0
    assert not np.any(model.get_weights()[0] == 123.0)


def test_set_weights_changes_the_predictions(backend):
    model = _linear()
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    kernel = np.array([[1.0], [-2.0], [0.5]], "float32")
    bias = np.array([0.25], "float32")
    model.set_weights([kernel, bias])
    np.testing.assert_allclose(model.predict(X, batch_size=20, verbose=0), X @ kernel + bias, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(model.get_weights()[0], kernel)


def test_set_weights_checks_count_and_shapes(backend):
    model = _linear()
    with pytest.raises(ValueError, match="expects 2 weight arrays"):
        model.set_weights([np.zeros((3, 1), "float32")])
    with pytest.raises(ValueError, match=r"\(3, 1\).*\(4, 1\)"):
        model.set_weights([np.zeros((4, 1), "float32"), np.zeros((1,), "float32")])


def test_set_weights_copies_the_given_arrays(backend):
    model = _linear()
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse", backend=backend)
    mine = [np.ones((3, 1), "float32"), np.zeros((1,), "float32")]
    model.set_weights(mine)
    model.fit(X, Y, batch_size=20, epochs=1, verbose=0)
    np.testing.assert_array_equal(mine[0], np.ones((3, 1), "float32"))  # training must not write into them
    mine[1][...] = 42.0
    assert model.get_weights()[1][0] != 42.0


# --- errors a user meets ---------------------------------------------------------------------------------
@pytest.mark.parametrize("call, wrong, right", [
    (lambda m: m.compile(optimizer="sgd", loss="mse", metric=["accuracy"]), "metric", "metrics"),
    (lambda m: m.compile(optimizer="sgd", loss="mse", loss_weight=[1.0]), "loss_weight", "loss_weights"),
    (lambda m: m.fit(X, Y, epoch=3), "epoch", "epochs"),
    (lambda m: m.fit(X, Y, batchsize=3), "batchsize", "batch_size"),
    (lambda m: m.fit(X, Y, validation_splitt=0.1), "validation_splitt", "validation_split"),
    (lambda m: m.evaluate(X, Y, return_dic=True), "return_dic", "return_dict"),
    (lambda m: m.predict(X, batch_sise=3), "batch_sise", "batch_size"),
])
def test_a_misspelt_keyword_is_a_type_error_suggesting_the_right_one(backend, call, wrong, right):
    model = _linear()
    with pytest.raises(TypeError) as info:
        call(model)
    assert f"'{wrong}'" in str(info.value)
    assert f"Did you mean '{right}'?" in str(info.value)


@pytest.mark.parametrize("method", ["fit", "evaluate", "train_on_batch", "test_on_batch"])
def test_training_before_compile_is_a_clear_error(backend, method):
    model = _linear()
    with pytest.raises(RuntimeError, match=rf"compile.*before calling {method}\(\)"):
        getattr(model, method)(X, Y)


@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_different_sample_counts_of_x_and_y_are_a_clear_error(backend, method):
    model = _linear()
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    with pytest.raises(ValueError) as info:
        getattr(model, method)(X, Y[:15], verbose=0)
    message = str(info.value)
    assert "20" in message and "15" in message and "'x'" in message and "'y'" in message


def test_a_sample_weight_of_the_wrong_length_is_a_clear_error(backend):
    model = _linear()
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    with pytest.raises(ValueError, match=r"sample_weight.*12|12.*sample_weight"):
        model.fit(X, Y, sample_weight=np.ones(12), verbose=0)


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_data_of_the_wrong_per_sample_shape_names_the_input_and_both_shapes(backend, method):
    model = Sequential([Input(shape=(3,), name="features"), Dense(1)])
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    wrong = np.zeros((20, 5), "float32")
    args = (wrong,) if method == "predict" else (wrong, Y)
    with pytest.raises(ValueError) as info:
        getattr(model, method)(*args, verbose=0)
    message = str(info.value)
    assert "'features'" in message and "(3,)" in message and "(5,)" in message


def test_wrong_per_sample_shape_when_the_first_layer_declared_input_dim(backend):
    model = Sequential([Dense(2, input_dim=8), Dense(1)])
    model.compile(optimizer="sgd", loss="mse", backend=backend)
    with pytest.raises(ValueError, match=r"\(8,\).*\(5,\)"):
        model.fit(np.zeros((4, 5), "float32"), np.zeros((4, 1), "float32"), verbose=0)


def test_seeded_models_start_from_the_same_weights(backend):
    nnkit.set_random_seed(11)
    first = _mlp().get_weights()
    nnkit.set_random_seed(11)
    second = _mlp().get_weights()
    nnkit.set_random_seed(12)
    third = _mlp().get_weights()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], third[0])
