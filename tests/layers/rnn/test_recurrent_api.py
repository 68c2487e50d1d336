"""The Keras surface of the recurrent layers: constructor defaults and weights (unit_forget_bias, orthogonal
recurrent kernels, GRU's (2, 3 units) bias), configs that round-trip (nested cells and wrapped layers),
compute_output_shape equal to the real shapes, stateful states kept across batches and reset, dropout
drawn only in training, TimeDistributed, and the errors a user meets."""
import numpy as np
import pytest

import nnkit
from layer_checks import keras_or_skip
from nnkit import layers

X = np.random.default_rng(5).standard_normal((2, 3, 4)).astype(np.float32)


def _round_trip(layer):
    copy = layers.deserialize(layers.serialize(layer))
    assert type(copy) is type(layer)
    assert copy.get_config() == layer.get_config()
    return copy


# --- weights and defaults ------------------------------------------------------------------------------
def test_lstm_weights_follow_keras_layout_and_initializers():
    layer = layers.LSTM(5)
    layer.build((None, 3, 4))
    kernel, recurrent, bias = layer.get_weights()
    assert [v.name for v in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert kernel.shape == (4, 20) and recurrent.shape == (5, 20) and bias.shape == (20,)
    np.testing.assert_array_equal(bias, np.r_[np.zeros(5), np.ones(5), np.zeros(10)])
    for block in np.split(recurrent, 4, axis=1):  # Keras' orthogonal initializer on the whole (5, 20) matrix
        assert block.shape == (5, 5)
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(5), atol=1e-5)
    assert layer.units == 5 and layer.cell.unit_forget_bias


def test_gru_bias_shape_depends_on_reset_after():
    after, before = layers.GRU(3), layers.GRU(3, reset_after=False)
    after.build((None, 2, 4))
    before.build((None, 2, 4))
    assert after.cell.bias.shape == (2, 9) and before.cell.bias.shape == (9,)


# --- configuration --------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: layers.LSTM(4, return_sequences=True, dropout=0.1, recurrent_dropout=0.2, kernel_regularizer="l2",
                        recurrent_activation="hard_sigmoid", unit_forget_bias=False, go_backwards=True),
    lambda: layers.GRU(4, reset_after=False, stateful=False, return_state=True, seed=3),
    lambda: layers.SimpleRNN(4, activation="relu", use_bias=False, unroll=True),
    lambda: layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], return_sequences=True),
    lambda: layers.RNN(layers.SimpleRNNCell(3), zero_output_for_mask=True),
    lambda: layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode="ave"),
    lambda: layers.Bidirectional(layers.LSTM(3), backward_layer=layers.LSTM(3, go_backwards=True)),
    lambda: layers.TimeDistributed(layers.Dense(3, activation="relu")),
], ids=["lstm", "gru", "simple_rnn", "stacked", "rnn", "bidirectional", "bidirectional-custom", "time_distributed"])
def test_config_round_trip(make):
    layer = make()
    copy = _round_trip(layer)
    x = X[:, :, :4]
    out, again = layer(x), copy(x)
    shapes = [np.shape(o) for o in (out if isinstance(out, list) else [out])]
    assert shapes == [np.shape(o) for o in (again if isinstance(again, list) else [again])]


def test_lstm_config_has_keras_keys():
    config = layers.LSTM(4).get_config()
    for key in ("units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias", "kernel_initializer",
                "recurrent_initializer", "dropout", "recurrent_dropout", "seed", "return_sequences", "return_state",
                "go_backwards", "stateful", "unroll", "zero_output_for_mask"):
        assert key in config
    assert "cell" not in config
    assert layers.RNN(layers.LSTMCell(2)).get_config()["cell"]["class_name"] == "LSTMCell"


# --- shapes -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: layers.LSTM(5), lambda: layers.LSTM(5, return_sequences=True, return_state=True),
    lambda: layers.GRU(5, return_state=True), lambda: layers.RNN([layers.LSTMCell(3), layers.SimpleRNNCell(2)],
                                                                 return_state=True),
    lambda: layers.Bidirectional(layers.LSTM(5, return_sequences=True)),
    lambda: layers.Bidirectional(layers.GRU(5, return_state=True), merge_mode=None),
    lambda: layers.TimeDistributed(layers.Dense(6)),
], ids=["last", "sequences-states", "gru-states", "stacked-states", "bidirectional", "bidirectional-none",
        "time_distributed"])
def test_compute_output_shape_equals_real_shapes(make):
    layer = make()
    real = _leaves(layer(X), lambda o: not isinstance(o, list), lambda o: tuple(o.shape))
    declared = _leaves(layer.compute_output_shape((2, 3, 4)), lambda s: isinstance(s, tuple), tuple)
    assert declared == real


def _leaves(structure, is_leaf, convert):
    """The leaves of nested lists (Keras nests the states of stacked cells)."""
    if is_leaf(structure):
        return [convert(structure)]
    return [leaf for item in structure for leaf in _leaves(item, is_leaf, convert)]


def test_symbolic_model_with_return_state():
    inputs = layers.Input((3, 4))
    sequences, h, c = layers.LSTM(5, return_sequences=True, return_state=True)(inputs)
    model = nnkit.Model(inputs, [sequences, h, c])
    out = model.predict(X, verbose=0)
    assert [o.shape for o in out] == [(2, 3, 5), (2, 5), (2, 5)]
    np.testing.assert_allclose(out[0][:, -1], out[1], rtol=1e-6)


# --- state ----------------------------------------------------------------------------------------------
def test_stateful_keeps_states_across_calls_and_resets():
    layer = layers.LSTM(3, stateful=True, return_sequences=True)
    layer.build((2, 3, 4))
    first = np.asarray(layer(X))
    second = np.asarray(layer(X))
    assert not np.allclose(first, second)  # the second batch starts from the first one's final states
    fresh = layers.LSTM(3, return_sequences=True)
    fresh.build((None, 3, 4))
    fresh.set_weights(layer.get_weights())  # the states are no weights
    np.testing.assert_allclose(np.asarray(fresh(np.concatenate([X, X], 1)))[:, 3:], second, rtol=1e-5, atol=1e-6)
    layer.reset_states()
    np.testing.assert_allclose(np.asarray(layer(X)), first, rtol=1e-6)


def test_stateful_states_are_no_weights_as_in_keras(tmp_path):
    """Keras 3 keeps a stateful RNN's states as variables outside its weights: get_weights(), weight files and
    parameter counts of a stateful layer are those of the plain one, both ways."""
    keras = keras_or_skip()

    def build(api):
        return api.Sequential([api.Input(batch_shape=(2, 3, 4)), api.layers.LSTM(5, stateful=True)])

    reference, model = build(keras), build(nnkit)
    assert model.count_params() == reference.count_params() and len(model.layers[0].get_weights()) == 3
    reference.save_weights(tmp_path / "keras.weights.h5")
    model.load_weights(tmp_path / "keras.weights.h5")
    model.save_weights(tmp_path / "nnkit.weights.h5")
    reference.load_weights(tmp_path / "nnkit.weights.h5")
    for _ in range(2):  # the second call starts from the states the first one left
        np.testing.assert_allclose(np.asarray(model(X)), np.asarray(reference(X)), rtol=1e-5, atol=1e-6)
    assert [v.shape for v in model.layers[0].non_trainable_variables] == [(2, 5), (2, 5)]


@pytest.mark.parametrize("backend", ["numpy", "jax"], indirect=True)
def test_stateful_model_keeps_states_through_predict_and_fit(backend):
    model = nnkit.Sequential([layers.Input((3, 4), batch_size=2), layers.GRU(3, stateful=True)])
    model.compile(optimizer="sgd", loss="mse", backend=backend.name)
    first = model.predict(X, batch_size=2, verbose=0)
    second = model.predict(X, batch_size=2, verbose=0)
    assert not np.allclose(first, second)
    model.layers[-1].reset_states()
    np.testing.assert_allclose(model.predict(X, batch_size=2, verbose=0), first, rtol=1e-5)
    if backend.name == "numpy":  # (JAX: one compile fewer; the train step keeps state the same way)
        model.layers[-1].reset_states()
        model.evaluate(X, np.zeros((2, 3), np.float32), batch_size=2, verbose=0)
        np.testing.assert_allclose(model.predict(X, batch_size=2, verbose=0), second, rtol=1e-5)
        model.fit(X, np.zeros((2, 3), np.float32), batch_size=2, epochs=1, verbose=0)
        assert np.abs(model.layers[-1].states[0].numpy()).sum() > 0


def test_dropout_only_in_training_and_one_mask_per_sequence():
    layer = layers.SimpleRNN(4, dropout=0.5, recurrent_dropout=0.5, return_sequences=True)
    assert layer.uses_randomness
    inference = np.asarray(layer(X))
    np.testing.assert_allclose(np.asarray(layer(X, training=False)), inference)
    trained = np.asarray(layer(X, training=True))
    assert not np.allclose(trained, inference)
    # a constant input sequence with a mask drawn once keeps dropped features dropped at every step
    kernel_free = layers.SimpleRNN(4, dropout=0.5, kernel_initializer="ones", recurrent_initializer="zeros",
                                   activation="linear", return_sequences=True)
    out = np.asarray(kernel_free(np.ones((2, 3, 4), np.float32), training=True))
    np.testing.assert_allclose(out[:, 0], out[:, 2])


# --- TimeDistributed ------------------------------------------------------------------------------------------
def test_time_distributed_applies_the_layer_to_every_step():
    dense = layers.Dense(2)
    wrapped = layers.TimeDistributed(dense)
    out = np.asarray(wrapped(X))
    assert wrapped.layer is dense
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(out, X @ kernel + bias, rtol=1e-5, atol=1e-6)


# --- errors ------------------------------------------------------------------------------------------------
def test_wrong_rank_names_the_layer():
    layer = layers.LSTM(3, name="encoder")
    with pytest.raises(ValueError, match="encoder.*ndim=3"):
        layer(np.ones((2, 4), np.float32))


@pytest.mark.parametrize("kind", [layers.LSTM, layers.GRU, layers.SimpleRNN])
def test_zero_time_steps_is_an_error_naming_the_layer(kind):
    with pytest.raises(ValueError, match="'empty' needs at least one time step.*\\(2, 0, 4\\)"):
        kind(3, name="empty")(np.zeros((2, 0, 4), np.float32))


def test_stateful_without_a_batch_size_is_an_error():
    with pytest.raises(ValueError, match="'stateful_gru'.*fixed batch size"):
        nnkit.Sequential([layers.Input((3, 4)), layers.GRU(3, stateful=True, name="stateful_gru")])


def test_mask_of_the_wrong_length_names_the_layer():
    with pytest.raises(ValueError, match="'tagger'.*\\(2, 3\\).*\\(2, 5\\)"):
        layers.SimpleRNN(3, name="tagger")(X, mask=np.ones((2, 5), bool))


def test_bad_arguments():
    with pytest.raises(ValueError, match="units"):
        layers.LSTM(0)
    with pytest.raises(ValueError, match="merge_mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(TypeError):
        layers.GRU(2, retrun_sequences=True)


def test_embedding_mask_flows_into_the_lstm():
    """Embedding(mask_zero=True) masks padded steps in a model exactly as an explicit mask= does."""
    tokens = np.array([[3, 1, 0, 0], [2, 4, 1, 0]])
    inputs = layers.Input((4,), dtype="int32")
    embedding = layers.Embedding(5, 3, mask_zero=True)
    lstm = layers.LSTM(2, return_sequences=True)
    model = nnkit.Model(inputs, lstm(embedding(inputs)))
    expected = np.asarray(lstm(embedding(tokens), mask=tokens != 0))
    np.testing.assert_allclose(model.predict(tokens, verbose=0), expected, rtol=1e-6)
    assert lstm.compute_mask(None, tokens != 0) is not None
    assert layers.LSTM(2).compute_mask(None, tokens != 0) is None


def test_regularizers_add_to_the_training_loss():
    layer = layers.SimpleRNN(2, kernel_regularizer=nnkit.regularizers.L2(0.5), recurrent_regularizer="l1")
    layer.build((None, 3, 4))
    assert layer.cell.kernel.regularizer is not None and layer.cell.recurrent_kernel.regularizer is not None
    model = nnkit.Sequential([layers.Input((3, 4)), layer])
    model.compile(optimizer="sgd", loss="mse")
    plain = nnkit.Sequential([layers.Input((3, 4)), layers.SimpleRNN(2)])
    plain.compile(optimizer="sgd", loss="mse")
    plain.set_weights(model.get_weights())
    y = np.zeros((2, 2), np.float32)
    kernel, recurrent, _ = model.get_weights()
    penalty = 0.5 * np.sum(kernel ** 2) + 0.01 * np.sum(np.abs(recurrent))
    np.testing.assert_allclose(model.evaluate(X, y, verbose=0) - plain.evaluate(X, y, verbose=0), penalty, rtol=1e-4)
