"""Subclassed models: `class MyModel(Model)` with layers made in __init__ and math in call() trains,
evaluates, predicts and reports its weights like functional and Sequential models."""
import numpy as np
import pytest

import nnkit
from nnkit.layers import Dense, Dropout, Input
from nnkit.models import Functional, Model, Sequential
from nnkit.optimizers import SGD

RNG = np.random.default_rng(21)
X = RNG.standard_normal((32, 5)).astype("float32")
Y = (X[:, :1] * 0.5 - X[:, 1:2]).astype("float32")


@pytest.fixture(autouse=True)
def seeded():
    """Every test starts from the same host seed, so its initial weights do not depend on test order."""
    nnkit.set_random_seed(20240)


def relu(x):
    return np.maximum(x, 0.0)


class MLP(Model):
    def __init__(self, hidden=8, **kwargs):
        super().__init__(**kwargs)
        self.hidden = Dense(hidden, activation="relu", name="hidden")
        self.out = Dense(1, name="out")

    def call(self, inputs, training=False):
        return self.out(self.hidden(inputs))


class TwoHeads(Model):
    """Two inputs (a list), two outputs; a list attribute of layers and a training-only Dropout."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoders = [Dense(4, activation="tanh", name="enc_a"), Dense(4, activation="tanh", name="enc_b")]
        self.dropout = Dropout(0.5)
        self.regress = Dense(1, name="regress")
        self.classify = Dense(2, activation="softmax", name="classify")
        self.training_flags = []

    def call(self, inputs, training=False):
        a, b = inputs
        self.training_flags.append(training)
        joined = self.encoders[0](a) + self.encoders[1](b)
        joined = self.dropout(joined, training=training)
        return self.regress(joined), self.classify(joined)


def mlp_reference(model, x):
    (k1, b1), (k2, b2) = model.hidden.get_weights(), model.out.get_weights()
    return relu(x @ k1 + b1) @ k2 + b2


def fit_mlp(backend_name):
    nnkit.set_random_seed(2)
    model = MLP()
    model.compile(optimizer=SGD(0.05), loss="mse", metrics=["mae"], backend=backend_name)
    return model, model.fit(X, Y, epochs=4, batch_size=8, shuffle=False, verbose=0).history


def test_subclassed_model_trains_evaluates_and_predicts(backend):
    model, history = fit_mlp(backend.name)
    assert isinstance(model, MLP) and not isinstance(model, Functional)
    assert list(history) == ["loss", "mae"]
    assert history["loss"][-1] < history["loss"][0]
    if backend.name != "numpy":  # the same losses as on NumPy from the same seed
        _, on_numpy = fit_mlp("numpy")
        for name in history:
            np.testing.assert_allclose(history[name], on_numpy[name], rtol=1e-4, err_msg=name)
    predicted = model.predict(X, verbose=0)
    assert predicted.shape == (32, 1)
    np.testing.assert_allclose(predicted, mlp_reference(model, X), rtol=1e-4, atol=1e-5)
    loss, mae = model.evaluate(X, Y, batch_size=8, verbose=0)
    assert loss == pytest.approx(float(np.mean((predicted - Y) ** 2)), rel=1e-4)
    assert mae == pytest.approx(float(np.mean(np.abs(predicted - Y))), rel=1e-4)


def test_subclassed_model_reports_its_weights():
    nnkit.set_random_seed(3)
    model = MLP(hidden=6, name="my_mlp")
    assert model.name == "my_mlp" and model.layers == [model.hidden, model.out]
    model.predict(X[:2], verbose=0)  # builds on the first data
    assert model.built
    assert [w.shape for w in model.weights] == [(5, 6), (6,), (6, 1), (1,)]
    assert [w.path for w in model.weights] == ["hidden/kernel", "hidden/bias", "out/kernel", "out/bias"]
    assert model.weights[0] is model.hidden.kernel
    assert len(model.trainable_weights) == 4 and model.non_trainable_weights == []
    assert model.count_params() == 5 * 6 + 6 + 6 + 1 == 43
    assert model.get_layer("out") is model.out and model.get_layer(index=0) is model.hidden

    new = [RNG.standard_normal(w.shape).astype("float32") for w in model.weights]
    model.set_weights(new)
    for got, expected in zip(model.get_weights(), new):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(model.predict(X, verbose=0), mlp_reference(model, X), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="4"):
        model.set_weights(new[:3])

    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "my_mlp"' in text and "hidden (Dense)" in text and "Total params: 43 " in text


def test_subclassed_model_with_several_inputs_outputs_and_training_flag(backend):
    nnkit.set_random_seed(4)
    model = TwoHeads()
    a, b = X[:, :3], X[:, 3:]
    labels = (X[:, 0] > 0).astype("int64")

    def losses(regress, probs):
        regress_loss = float(np.mean((regress - Y) ** 2))
        class_loss = float(np.mean(-np.log(probs[np.arange(len(labels)), labels])))
        return regress_loss, class_loss

    model.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[2.0, 1.0],
                  backend=backend.name)
    # The first call builds the model (see test_subclassed_model_with_several_outputs_fits_before_any_call).
    first = model.predict([a, b], verbose=0)
    assert isinstance(first, list) and [p.shape for p in first] == [(32, 1), (32, 2)]
    np.testing.assert_array_equal(model.predict([a, b], verbose=0)[1], first[1])  # no dropout outside training
    assert model.training_flags and not any(model.training_flags)
    before = losses(*first)

    history = model.fit([a, b], [Y, labels], epochs=3, batch_size=16, shuffle=False, verbose=0).history
    output_losses = [name for name in history if name.endswith("_loss")]
    assert len(history) == 3 and len(output_losses) == 2 and list(history)[0] == "loss"
    assert True in model.training_flags

    regress, probs = model.predict([a, b], verbose=0)
    logs = model.evaluate([a, b], [Y, labels], verbose=0, return_dict=True)
    regress_loss, class_loss = losses(regress, probs)
    assert logs[output_losses[0]] == pytest.approx(regress_loss, rel=1e-4)
    assert logs[output_losses[1]] == pytest.approx(class_loss, rel=1e-4)
    assert logs["loss"] == pytest.approx(2.0 * regress_loss + class_loss, rel=1e-4)
    assert logs["loss"] < 2.0 * before[0] + before[1]  # (the epochs' training losses are noisy: dropout)
    assert [w.path for w in model.weights][:4] == ["enc_a/kernel", "enc_a/bias", "enc_b/kernel", "enc_b/bias"]


class WithSubmodels(Model):
    """A subclassed model holding a Sequential and a functional model, plus its own Dense."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stem = Sequential([Dense(6, activation="relu", input_shape=(5,), name="stem_dense")], name="stem")
        code = Input(shape=(6,))
        self.body = Model(code, Dense(3, activation="tanh", name="body_dense")(code), name="body")
        self.head = Dense(1, name="head_dense")

    def call(self, inputs, training=False):
        return self.head(self.body(self.stem(inputs)))


def test_subclassed_model_holding_other_models(backend):
    nnkit.set_random_seed(5)
    model = WithSubmodels()
    model.compile(optimizer=SGD(0.05), loss="mse", backend=backend.name)
    history = model.fit(X, Y, epochs=3, batch_size=16, shuffle=False, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    assert model.layers == [model.stem, model.body, model.head]
    assert len(model.weights) == 6
    inner = model.stem.weights + model.body.weights
    assert all(any(v is w for w in model.weights) for v in inner)
    (k1, b1), (k2, b2), (k3, b3) = (model.get_layer("stem").get_weights(), model.body.get_weights(),
                                    model.head.get_weights())
    expected = np.tanh(relu(X @ k1 + b1) @ k2 + b2) @ k3 + b3
    np.testing.assert_allclose(model.predict(X, verbose=0), expected, rtol=1e-4, atol=1e-5)


def test_subclassed_model_with_several_outputs_fits_before_any_call():
    model = TwoHeads()
    labels = (X[:, 0] > 0).astype("int64")
    model.compile(optimizer="sgd", loss=["mse", "sparse_categorical_crossentropy"])
    history = model.fit([X[:, :3], X[:, 3:]], [Y, labels], epochs=1, verbose=0).history
    assert len(history) == 3
