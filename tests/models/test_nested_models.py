"""A model is a layer: Sequential and functional models called inside other models train, keep their
weights as the very same Variable objects, and show up as one layer of the outer model."""
import numpy as np
import pytest

import nnkit
from nnkit.layers import Dense, Input, concatenate
from nnkit.models import Model, Sequential
from nnkit.optimizers import SGD

RNG = np.random.default_rng(31)
X = RNG.standard_normal((24, 4)).astype("float32")
Y = np.tanh(X[:, :1] - 0.5 * X[:, 2:3]).astype("float32")


@pytest.fixture(autouse=True)
def seeded():
    """Every test starts from the same host seed, so its initial weights do not depend on test order."""
    nnkit.set_random_seed(20240)


def relu(x):
    return np.maximum(x, 0.0)


def contains_same_objects(outer, inner):
    return all(any(v is w for w in outer) for v in inner)


def sequential_in_functional():
    nnkit.set_random_seed(12)
    inner = Sequential([Dense(6, activation="relu", input_shape=(4,), name="seq_1"),
                        Dense(3, activation="tanh", name="seq_2")], name="inner_seq")
    x = Input(shape=(4,), name="x")
    out = Dense(1, name="top")(inner(x))
    return Model(x, out, name="outer"), inner


def reference(inner, top, x):
    (k1, b1), (k2, b2) = inner.layers[0].get_weights(), inner.layers[1].get_weights()
    k3, b3 = top.get_weights()
    return np.tanh(relu(x @ k1 + b1) @ k2 + b2) @ k3 + b3


def test_sequential_inside_a_functional_model_trains_and_shares_variables(backend):
    outer, inner = sequential_in_functional()
    assert [layer.name for layer in outer.layers] == ["x", "inner_seq", "top"]
    assert outer.get_layer("inner_seq") is inner
    assert len(outer.weights) == 6 and contains_same_objects(outer.weights, inner.weights)
    assert outer.count_params() == inner.count_params() + 4

    outer.compile(optimizer=SGD(0.1), loss="mse", backend=backend.name)
    before = [w.copy() for w in inner.get_weights()]
    history = outer.fit(X, Y, epochs=4, batch_size=8, shuffle=False, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    assert contains_same_objects(outer.weights, inner.weights)  # still the same objects after training
    after = inner.get_weights()
    assert all(not np.allclose(p, q) for p, q in zip(before, after))
    for got, expected in zip(outer.get_weights(), after + outer.get_layer("top").get_weights()):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(outer.predict(X, verbose=0), reference(inner, outer.get_layer("top"), X),
                               rtol=1e-4, atol=1e-5)


def test_inner_model_predicts_with_the_weights_the_outer_model_trained():
    outer, inner = sequential_in_functional()
    outer.compile(optimizer=SGD(0.1), loss="mse")
    outer.fit(X, Y, epochs=2, batch_size=8, verbose=0)
    (k1, b1), (k2, b2) = inner.layers[0].get_weights(), inner.layers[1].get_weights()
    np.testing.assert_allclose(inner.predict(X, verbose=0), np.tanh(relu(X @ k1 + b1) @ k2 + b2), rtol=1e-4,
                               atol=1e-5)


def test_functional_models_nested_two_deep(backend):
    nnkit.set_random_seed(13)
    c = Input(shape=(4,), name="c")
    innermost = Model(c, Dense(5, activation="relu", name="deep")(c), name="innermost")
    m = Input(shape=(4,), name="m")
    middle = Model(m, Dense(3, name="mid")(innermost(m)), name="middle")
    x = Input(shape=(4,), name="outer_x")
    branch = Dense(2, name="side")(x)
    outer = Model(x, Dense(1, name="final")(concatenate([middle(x), branch])), name="outermost")

    assert [layer.name for layer in outer.layers if isinstance(layer, Model)] == ["middle"]
    assert len(outer.weights) == 8
    assert contains_same_objects(outer.weights, innermost.weights + middle.weights)
    outer.compile(optimizer=SGD(0.05), loss="mse", backend=backend.name)
    history = outer.fit(X, Y, epochs=3, batch_size=8, shuffle=False, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    deep = relu(X @ innermost.get_layer("deep").get_weights()[0] + innermost.get_layer("deep").get_weights()[1])
    mid = deep @ middle.get_layer("mid").get_weights()[0] + middle.get_layer("mid").get_weights()[1]
    side = X @ outer.get_layer("side").get_weights()[0] + outer.get_layer("side").get_weights()[1]
    k, b = outer.get_layer("final").get_weights()
    np.testing.assert_allclose(outer.predict(X, verbose=0), np.concatenate([mid, side], axis=1) @ k + b, rtol=1e-4,
                               atol=1e-5)


def test_functional_model_inside_sequential():
    nnkit.set_random_seed(14)
    c = Input(shape=(4,))
    block = Model(c, Dense(3, activation="relu", name="block_dense")(c), name="block")
    model = Sequential([Input(shape=(4,)), block, Dense(1, name="seq_top")])
    assert model.layers == [block, model.get_layer("seq_top")]
    assert contains_same_objects(model.weights, block.weights) and len(model.weights) == 4
    model.compile(optimizer=SGD(0.05), loss="mse")
    history = model.fit(X, Y, epochs=3, batch_size=8, shuffle=False, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    hidden = block.predict(X, verbose=0)
    k, b = model.get_layer("seq_top").get_weights()
    np.testing.assert_allclose(model.predict(X, verbose=0), hidden @ k + b, rtol=1e-4, atol=1e-5)


def test_a_model_called_twice_shares_its_weights():
    nnkit.set_random_seed(15)
    c = Input(shape=(4,))
    encoder = Model(c, Dense(3, activation="tanh", name="enc")(c), name="encoder")
    left, right = Input(shape=(4,), name="left"), Input(shape=(4,), name="right")
    model = Model([left, right], Dense(1, name="score")(concatenate([encoder(left), encoder(right)])))
    assert [layer.name for layer in model.layers].count("encoder") == 1
    assert len(model.weights) == 4 and model.count_params() == 15 + 7
    lines = []
    model.summary(print_fn=lines.append)
    row = next(i for i, line in enumerate(lines) if line.lstrip().startswith("encoder (Functional)"))
    assert " 15 " in lines[row] and "left[0][0]" in lines[row] and lines[row + 1].strip() == "right[0][0]"
    assert "Total params: 22 " in "\n".join(lines)
    k, b = encoder.get_layer("enc").get_weights()
    k2, b2 = model.get_layer("score").get_weights()
    other = X[::-1]
    expected = np.concatenate([np.tanh(X @ k + b), np.tanh(other @ k + b)], axis=1) @ k2 + b2
    np.testing.assert_allclose(model.predict([X, other], verbose=0), expected, rtol=1e-4, atol=1e-5)


def test_summary_shows_the_inner_model_as_one_row():
    outer, inner = sequential_in_functional()
    lines = []
    outer.summary(print_fn=lines.append)
    row = next(line for line in lines if line.lstrip().startswith("inner_seq (Sequential)"))
    # a chain: no Connected-to column, as in Keras 3
    assert "(None, 3)" in row and row.rstrip().endswith(f" {inner.count_params()}")
    assert not any("Connected to" in line for line in lines)
    assert not any(line.lstrip().startswith("seq_1") for line in lines)


def test_frozen_inner_model_is_not_trained():
    outer, inner = sequential_in_functional()
    inner.trainable = False
    assert len(outer.trainable_weights) == 2 and len(outer.non_trainable_weights) == 4
    before = inner.get_weights()
    top_before = outer.get_layer("top").get_weights()
    outer.compile(optimizer=SGD(0.1), loss="mse")
    outer.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    for p, q in zip(before, inner.get_weights()):
        np.testing.assert_array_equal(p, q)
    assert not np.allclose(top_before[0], outer.get_layer("top").get_weights()[0])


def test_subclassed_model_called_on_a_symbolic_tensor():
    class Block(Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = Dense(3, activation="relu", name="block_inner")

        def call(self, inputs, training=False):
            return self.dense(inputs)

    nnkit.set_random_seed(16)
    block = Block(name="sub_block")
    x = Input(shape=(4,))
    h = block(x)
    assert h.shape == (None, 3)
    model = Model(x, Dense(1, name="after_block")(h))
    assert contains_same_objects(model.weights, block.weights) and len(model.weights) == 4
    model.compile(optimizer=SGD(0.05), loss="mse")
    history = model.fit(X, Y, epochs=3, batch_size=8, shuffle=False, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    k, b = block.dense.get_weights()
    k2, b2 = model.get_layer("after_block").get_weights()
    np.testing.assert_allclose(model.predict(X, verbose=0), relu(X @ k + b) @ k2 + b2, rtol=1e-4, atol=1e-5)
