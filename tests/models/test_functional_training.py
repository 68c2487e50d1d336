"""Training functional graphs: several inputs and outputs (lists and dicts), per-output losses and loss
weights, Keras' log names, shared layers under SGD, and the issue's must-show models trained on NumPy and
JAX with the same losses."""
import numpy as np
import pytest

import nnkit
from nnkit.backends import available_backends
from nnkit.layers import Dense, Input, add, concatenate, multiply, subtract
from nnkit.models import Model
from nnkit.optimizers import SGD

N = 24
RNG = np.random.default_rng(5)
XA = RNG.standard_normal((N, 4)).astype("float32")
XB = RNG.standard_normal((N, 3)).astype("float32")
Y1 = (XA[:, :1] - XB[:, 1:2]).astype("float32")
Y2 = (XA[:, 0] > XB[:, 0]).astype("int64") + (XA[:, 1] > 1.0).astype("int64")


@pytest.fixture(autouse=True)
def seeded():
    """Every test starts from the same host seed, so its initial weights do not depend on test order."""
    nnkit.set_random_seed(20240)


def two_in_two_out(structure="list", seed=3):
    """Inputs a (4 features) and b (3); out1 regresses one number, out2 picks one of 3 classes."""
    nnkit.set_random_seed(seed)
    a = Input(shape=(4,), name="a")
    b = Input(shape=(3,), name="b")
    joined = concatenate([Dense(6, activation="tanh", name="da")(a), Dense(6, activation="tanh", name="db")(b)],
                         name="joined")
    out1 = Dense(1, name="out1")(joined)
    out2 = Dense(3, activation="softmax", name="out2")(joined)
    if structure == "dict":
        return Model(inputs={"a": a, "b": b}, outputs={"out1": out1, "out2": out2})
    return Model(inputs=[a, b], outputs=[out1, out2])


def mse(pred, target):
    return float(np.mean((pred - target) ** 2))


def sparse_ce(probs, labels):
    return float(np.mean(-np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-7, 1.0))))


def accuracy(probs, labels):
    return float(np.mean(np.argmax(probs, axis=-1) == labels))


# --- several outputs: losses, weights, names --------------------------------------------------------------------
def test_list_of_losses_with_loss_weights(backend):
    model = two_in_two_out("list")
    model.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[0.3, 2.0],
                  metrics={"out2": ["accuracy"]}, backend=backend.name)
    history = model.fit([XA, XB], [Y1, Y2], epochs=3, batch_size=8, shuffle=False, verbose=0).history
    assert list(history) == ["loss", "out1_loss", "out2_loss", "out2_accuracy"]
    assert history["loss"][-1] < history["loss"][0]

    logs = model.evaluate([XA, XB], [Y1, Y2], batch_size=8, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "out1_loss", "out2_loss", "out2_accuracy"]
    assert model.evaluate([XA, XB], [Y1, Y2], batch_size=8, verbose=0) == pytest.approx(list(logs.values()), rel=1e-6)
    pred1, pred2 = model.predict([XA, XB], verbose=0)
    assert logs["out1_loss"] == pytest.approx(mse(pred1, Y1), rel=1e-4)
    assert logs["out2_loss"] == pytest.approx(sparse_ce(pred2, Y2), rel=1e-4)
    assert logs["out2_accuracy"] == pytest.approx(accuracy(pred2, Y2), abs=1e-6)
    assert logs["loss"] == pytest.approx(0.3 * mse(pred1, Y1) + 2.0 * sparse_ce(pred2, Y2), rel=1e-4)


def test_dict_inputs_outputs_losses_and_weights_match_the_list_form():
    as_list = two_in_two_out("list", seed=8)
    as_dict = two_in_two_out("dict", seed=8)
    assert all(np.array_equal(p, q) for p, q in zip(as_list.get_weights(), as_dict.get_weights()))
    as_list.compile(optimizer=SGD(0.05), loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[1.5, 0.5],
                    metrics=[[], ["accuracy"]], )
    as_dict.compile(optimizer=SGD(0.05), loss={"out2": "sparse_categorical_crossentropy", "out1": "mse"},
                    loss_weights={"out2": 0.5, "out1": 1.5}, metrics={"out2": "accuracy"})
    x, y = {"b": XB, "a": XA}, {"out2": Y2, "out1": Y1}
    list_history = as_list.fit([XA, XB], [Y1, Y2], epochs=2, batch_size=12, shuffle=False, verbose=0).history
    dict_history = as_dict.fit(x, y, epochs=2, batch_size=12, shuffle=False, verbose=0).history
    assert set(dict_history) == {"loss", "out1_loss", "out2_loss", "out2_accuracy"}
    for name in list_history:
        np.testing.assert_allclose(dict_history[name], list_history[name], rtol=1e-5)

    logs = as_dict.evaluate(x, y, verbose=0, return_dict=True)
    predicted = as_dict.predict(x, verbose=0)
    assert isinstance(predicted, dict)
    expected = 1.5 * mse(predicted["out1"], Y1) + 0.5 * sparse_ce(predicted["out2"], Y2)
    assert logs["loss"] == pytest.approx(expected, rel=1e-4)
    assert logs["loss"] == pytest.approx(1.5 * logs["out1_loss"] + 0.5 * logs["out2_loss"], rel=1e-5)


def test_one_loss_applies_to_every_output():
    nnkit.set_random_seed(4)
    x = Input(shape=(4,), name="x")
    hidden = Dense(5, activation="relu", name="hidden")(x)
    model = Model(x, [Dense(1, name="left")(hidden), Dense(1, name="right")(hidden)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    targets = [Y1, 2.0 * Y1]
    logs = model.evaluate(XA, targets, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "left_loss", "right_loss", "left_mae", "right_mae"]
    left, right = model.predict(XA, verbose=0)
    assert logs["left_loss"] == pytest.approx(mse(left, Y1), rel=1e-4)
    assert logs["right_mae"] == pytest.approx(float(np.mean(np.abs(right - 2.0 * Y1))), rel=1e-4)
    assert logs["loss"] == pytest.approx(mse(left, Y1) + mse(right, 2.0 * Y1), rel=1e-4)


def test_an_output_without_a_loss_is_left_out_of_the_total():
    model = two_in_two_out("list", seed=9)
    model.compile(optimizer="sgd", loss={"out2": "sparse_categorical_crossentropy"})
    logs = model.evaluate([XA, XB], [Y1, Y2], verbose=0, return_dict=True)
    assert "out1_loss" not in logs
    _, pred2 = model.predict([XA, XB], verbose=0)
    assert logs["loss"] == pytest.approx(sparse_ce(pred2, Y2), rel=1e-4)


def test_wrong_loss_and_target_structures_are_clear_errors():
    model = two_in_two_out("list")
    model.compile(optimizer="sgd", loss=["mse"])
    with pytest.raises(ValueError, match="out1"):
        model.fit([XA, XB], [Y1, Y2], verbose=0)
    model.compile(optimizer="sgd", loss={"out1": "mse", "score": "mse"})
    with pytest.raises(ValueError, match="score"):
        model.fit([XA, XB], [Y1, Y2], verbose=0)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="out2"):
        model.fit([XA, XB], {"out1": Y1, "other": Y2}, verbose=0)
    with pytest.raises(ValueError, match="2"):
        model.fit([XA, XB], [Y1], verbose=0)


def test_dict_outputs_are_matched_by_their_keys():
    a = Input(shape=(4,), name="a")
    hidden = Dense(4, name="hidden_k")(a)
    model = Model(a, {"score": Dense(1, name="dense_score")(hidden), "label": Dense(3, name="dense_label")(hidden)})
    model.compile(optimizer="sgd", loss={"score": "mse", "label": "sparse_categorical_crossentropy"})
    history = model.fit(XA, {"score": Y1, "label": Y2}, epochs=1, verbose=0).history
    assert {"score_loss", "label_loss"} <= set(history)


def test_set_weights_does_not_alias_the_arrays_given():
    first, second = two_in_two_out("list", seed=1), two_in_two_out("list", seed=2)
    weights = [w + 0.0 for w in first.get_weights()]
    saved = [w.copy() for w in weights]
    first.set_weights(weights)
    second.set_weights(weights)
    first.compile(optimizer=SGD(0.1), loss=["mse", "sparse_categorical_crossentropy"], backend="numpy")
    first.fit([XA, XB], [Y1, Y2], batch_size=N, epochs=1, verbose=0)
    assert not np.allclose(first.get_weights()[0], saved[0])
    for given, kept, loaded in zip(weights, saved, second.get_weights()):
        np.testing.assert_array_equal(given, kept)
        np.testing.assert_array_equal(loaded, kept)


# --- shared layers under training --------------------------------------------------------------------------------
def test_one_sgd_step_on_a_shared_layer_adds_the_copies_steps(backend):
    x1, x2 = Input(shape=(4,), name="x1"), Input(shape=(4,), name="x2")
    shared = Dense(3, activation="tanh", name="shared")
    head = Dense(1, name="head")
    shared_model = Model([x1, x2], head(concatenate([shared(x1), shared(x2)])))
    y1, y2 = Input(shape=(4,)), Input(shape=(4,))
    copy1, copy2 = Dense(3, activation="tanh", name="copy1"), Dense(3, activation="tanh", name="copy2")
    head_copy = Dense(1, name="head_copy")
    copies_model = Model([y1, y2], head_copy(concatenate([copy1(y1), copy2(y2)])))
    start = shared.get_weights()
    copy1.set_weights([w.copy() for w in start])  # copies: see test_set_weights_does_not_alias_the_arrays_given
    copy2.set_weights([w.copy() for w in start])
    head_copy.set_weights(head.get_weights())

    x = [XA, XA[::-1] * 0.5]
    for model in (shared_model, copies_model):
        model.compile(optimizer=SGD(learning_rate=1.0), loss="mse", backend=backend.name)
    shared_loss = shared_model.fit(x, Y1, batch_size=N, epochs=1, shuffle=False, verbose=0).history["loss"]
    copies_loss = copies_model.fit(x, Y1, batch_size=N, epochs=1, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(shared_loss, copies_loss, rtol=1e-6)
    for before, after, after1, after2 in zip(start, shared.get_weights(), copy1.get_weights(), copy2.get_weights()):
        assert np.abs(after1 - after2).max() > 1e-4  # the two copies took different steps
        # w - (g1 + g2) == (w - g1) + (w - g2) - w
        np.testing.assert_allclose(after, after1 + after2 - before, rtol=1e-4, atol=1e-5)
    for got, expected in zip(head.get_weights(), head_copy.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


# --- the must-show models, the same on NumPy and JAX ---------------------------------------------------------------
def inception():
    """Parallel Dense branches of different widths concatenated, plus a residual Add; 3 classes."""
    x = Input(shape=(4,), name="features")
    wide = Dense(8, activation="relu", name="branch_wide")(x)
    deep = Dense(3, activation="relu", name="branch_deep_2")(Dense(6, activation="relu", name="branch_deep_1")(x))
    narrow = Dense(2, activation="relu", name="branch_narrow")(x)
    mixed = concatenate([wide, deep, narrow], name="mixed")
    block = add([mixed, Dense(13, name="shortcut")(x)], name="residual")
    out = Dense(3, activation="softmax", name="out")(block)
    model = Model(x, out, name="inception")
    settings = dict(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, settings, XA, Y2, ["loss", "accuracy"]


def two_inputs_two_outputs():
    model = two_in_two_out("dict", seed=77)
    settings = dict(optimizer="adam", loss={"out1": "mse", "out2": "sparse_categorical_crossentropy"},
                    loss_weights={"out1": 0.7, "out2": 1.3}, metrics={"out2": ["accuracy"]})
    names = ["loss", "out1_loss", "out2_loss", "out2_accuracy"]
    return model, settings, {"a": XA, "b": XB}, {"out1": Y1, "out2": Y2}, names


def siamese():
    """One encoder model applied to both inputs; the head sees their difference and product."""
    left, right = Input(shape=(4,), name="left"), Input(shape=(4,), name="right")
    code = Input(shape=(4,), name="code")
    encoder = Model(code, Dense(5, activation="tanh", name="enc_2")(Dense(8, activation="relu", name="enc_1")(code)),
                    name="encoder")
    e1, e2 = encoder(left), encoder(right)
    merged = concatenate([subtract([e1, e2]), multiply([e1, e2])], name="compare")
    out = Dense(1, activation="sigmoid", name="same")(merged)
    model = Model([left, right], out, name="siamese")
    assert len(model.weights) == 6
    settings = dict(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    other = XA[::-1].copy()
    same = (np.sign(XA[:, 0]) == np.sign(other[:, 0])).astype("float32")[:, None]
    return model, settings, [XA, other], same, ["loss", "accuracy"]


@pytest.mark.skipif("jax" not in available_backends(), reason="needs the JAX backend")
@pytest.mark.parametrize("build", [inception, two_inputs_two_outputs, siamese], ids=lambda f: f.__name__)
def test_must_show_models_train_the_same_on_numpy_and_jax(build):
    results = {}
    for backend_name in ("numpy", "jax"):
        nnkit.set_random_seed(1234)
        model, settings, x, y, names = build()
        initial = model.get_weights()
        model.compile(backend=backend_name, **settings)
        history = model.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0).history
        assert list(history) == names
        assert history["loss"][-1] < history["loss"][0], f"{build.__name__} did not train on {backend_name}"
        if "out1_loss" in history:  # the epoch means of the per-output losses add up like the batches' do
            np.testing.assert_allclose(history["loss"], 0.7 * np.array(history["out1_loss"])
                                       + 1.3 * np.array(history["out2_loss"]), rtol=1e-5)
        results[backend_name] = initial, history, model.get_weights()
    (w_numpy, h_numpy, end_numpy), (w_jax, h_jax, end_jax) = results["numpy"], results["jax"]
    for p, q in zip(w_numpy, w_jax):
        np.testing.assert_array_equal(p, q)
    for name in names:
        np.testing.assert_allclose(h_jax[name], h_numpy[name], rtol=1e-4, err_msg=name)
    for p, q in zip(end_numpy, end_jax):
        np.testing.assert_allclose(q, p, rtol=1e-3, atol=1e-5)
