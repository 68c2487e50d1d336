"""Layer, the base class: weight bookkeeping (weights / trainable_weights / non_trainable_weights,
get_weights / set_weights / count_params), Keras-style unique names, get_config / from_config for every
layer, a user's subclassed layer (add_weight + call written with nnkit.ops) eagerly and inside models,
nested sublayer tracking, the training flag, activity regularization and keyword checking."""
import json

import numpy as np
import pytest

import nnkit
from gradcheck import check_gradients, to_host
from nnkit import layers, ops, regularizers
from nnkit.layers import call_context
from nnkit.layers.layer import Layer, snake_case
from nnkit.ops.variable import Assigned, Variable
from nnkit.utils import clear_session


# --- user-written layers used throughout -------------------------------------------------------------------
class Scale(Layer):
    """y = x * scale + offset; `scale` trainable, `offset` non-trainable (like a moving statistic)."""

    def __init__(self, init_scale=2.0, **kwargs):
        super().__init__(**kwargs)
        self.init_scale = init_scale

    def build(self, input_shape):
        self.scale = self.add_weight((input_shape[-1],), nnkit.initializers.Constant(self.init_scale), name="scale")
        self.offset = self.add_weight((input_shape[-1],), "ones", trainable=False, name="offset")

    def call(self, inputs):
        return ops.add(ops.multiply(inputs, self.scale), self.offset)

    def get_config(self):
        return {**super().get_config(), "init_scale": self.init_scale}


class Linear(Layer):
    """A hand-written dense layer: tanh(x @ w + b), weights made with add_weight."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1], self.units), "glorot_uniform", name="w")
        self.b = self.add_weight((self.units,), "zeros", name="b")

    def call(self, inputs):
        return ops.tanh(ops.add(ops.matmul(inputs, self.w), self.b))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class Block(Layer):
    """Nested layers: an attribute, a list of layers, and a weight of its own."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = layers.Dense(4, activation="tanh", name=f"{self.name}_first")
        self.stack = [layers.Dense(3, name=f"{self.name}_second"), Scale(name=f"{self.name}_scale")]

    def build(self, input_shape):
        self.gain = self.add_weight((), "ones", name="gain")

    def call(self, inputs):
        x = self.first(inputs)
        for layer in self.stack:
            x = layer(x)
        return ops.multiply(x, self.gain)


class TrainingAware(Layer):
    def call(self, inputs, training=None):
        return ops.multiply(inputs, 2.0 if training else 1.0)


X = np.arange(6, dtype=np.float32).reshape(2, 3) / 5.0


# --- weights, trainable and non-trainable ---------------------------------------------------------------------
def test_weights_split_into_trainable_and_non_trainable(backend):
    layer = Scale()
    assert layer.weights == [] and not layer.built
    layer(backend.asarray(X))
    assert layer.built
    assert [v.name for v in layer.weights] == ["scale", "offset"]
    assert [v.name for v in layer.trainable_weights] == ["scale"]
    assert [v.name for v in layer.non_trainable_weights] == ["offset"]
    assert all(isinstance(v, Variable) for v in layer.weights)
    assert layer.variables == layer.weights
    assert layer.trainable_variables == layer.trainable_weights
    assert layer.non_trainable_variables == layer.non_trainable_weights
    assert [v.path for v in layer.weights] == [f"{layer.name}/scale", f"{layer.name}/offset"]


def test_trainable_weights_come_first_whatever_the_creation_order(backend):
    class Mixed(Layer):
        def build(self, input_shape):
            self.frozen = self.add_weight((2,), "zeros", trainable=False, name="frozen")
            self.free = self.add_weight((2,), "ones", name="free")

        def call(self, inputs):
            return inputs

    layer = Mixed()
    layer.build((None, 2))
    assert [v.name for v in layer.weights] == ["free", "frozen"]
    assert [w.tolist() for w in layer.get_weights()] == [[1.0, 1.0], [0.0, 0.0]]


def test_trainable_false_moves_every_weight_to_non_trainable(backend):
    layer = layers.Dense(2, trainable=False)
    layer(backend.asarray(X))
    assert layer.trainable_weights == []
    assert [v.name for v in layer.non_trainable_weights] == ["kernel", "bias"]
    assert len(layer.weights) == 2
    layer.trainable = True
    assert [v.name for v in layer.trainable_weights] == ["kernel", "bias"]
    assert layer.non_trainable_weights == []


def test_frozen_layer_is_not_trained_in_a_model(backend):
    frozen = layers.Dense(2, trainable=False, name="frozen_dense")
    model = nnkit.Sequential([layers.Dense(3, input_dim=3), frozen, layers.Dense(1)])
    assert len(model.trainable_weights) == 4
    assert [v.path for v in model.non_trainable_weights] == ["frozen_dense/kernel", "frozen_dense/bias"]
    before = frozen.get_weights()
    model.compile(optimizer="sgd", loss="mse", backend=backend.name)
    model.fit(np.ones((4, 3), np.float32), np.ones((4, 1), np.float32), epochs=2, verbose=0)
    for old, new in zip(before, frozen.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_get_weights_returns_numpy_copies(backend):
    layer = layers.Dense(2)
    layer(backend.asarray(X))
    weights = layer.get_weights()
    assert all(type(w) is np.ndarray for w in weights)
    assert [w.dtype for w in weights] == [np.float32, np.float32]
    kept = [w.copy() for w in weights]
    for w in weights:
        w += 100.0
    for old, now in zip(kept, layer.get_weights()):
        np.testing.assert_array_equal(old, now)
    np.testing.assert_allclose(to_host(layer(backend.asarray(X))), X @ kept[0] + kept[1], rtol=1e-6)


def test_set_weights_loads_values_and_keeps_dtype(backend):
    layer = layers.Dense(2)
    layer.build((None, 3))
    kernel = np.arange(6, dtype=np.float64).reshape(3, 2)
    layer.set_weights([kernel, [0.5, -0.5]])
    got = layer.get_weights()
    np.testing.assert_array_equal(got[0], kernel.astype(np.float32))
    np.testing.assert_array_equal(got[1], np.array([0.5, -0.5], np.float32))
    assert got[0].dtype == np.float32
    assert backend.is_array(layer.kernel.value)
    np.testing.assert_allclose(to_host(layer(backend.asarray(X))), X @ kernel + [0.5, -0.5], rtol=1e-6)


def test_set_weights_copies_the_arrays_given(backend):
    """The layer must not keep the caller's arrays: changing them afterwards leaves the layer alone."""
    layer = layers.Dense(2)
    layer.build((None, 3))
    kernel, bias = np.ones((3, 2), np.float32), np.zeros(2, np.float32)
    layer.set_weights([kernel, bias])
    kernel += 5.0
    bias -= 1.0
    np.testing.assert_array_equal(layer.get_weights()[0], np.ones((3, 2), np.float32))
    np.testing.assert_array_equal(layer.get_weights()[1], np.zeros(2, np.float32))


def test_set_weights_with_wrong_count_names_the_layer(backend):
    layer = layers.Dense(2, name="counted")
    layer.build((None, 3))
    with pytest.raises(ValueError, match=r"Layer 'counted' expects 2 weight arrays.*received 1"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"expects 2 weight arrays.*received 3"):
        layer.set_weights([np.zeros((3, 2)), np.zeros(2), np.zeros(2)])


def test_set_weights_with_wrong_shape_names_layer_weight_and_both_shapes(backend):
    layer = layers.Dense(2, name="shaped")
    layer.build((None, 3))
    before = layer.get_weights()
    with pytest.raises(ValueError) as info:
        layer.set_weights([np.ones((3, 2)), np.ones(5)])
    message = str(info.value)
    assert "'shaped'" in message and "'bias'" in message
    assert "(2,)" in message and "(5,)" in message
    # Nothing was loaded: the shapes are all checked before any weight changes.
    for old, now in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, now)


def test_count_params(backend):
    dense = layers.Dense(5)
    dense.build((None, 4))
    assert dense.count_params() == 25
    block = Block()
    block(backend.asarray(X))
    # gain 1 + Dense(4) on 3: 16 + Dense(3) on 4: 15 + Scale on 3: 6
    assert block.count_params() == 1 + 16 + 15 + 6


def test_count_params_of_an_unbuilt_layer_is_an_error():
    with pytest.raises(ValueError, match="'not_yet' is not built"):
        layers.Dense(3, name="not_yet").count_params()


# --- names -------------------------------------------------------------------------------------------------
def test_unique_keras_style_names():
    clear_session()
    assert [layers.Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert layers.Dropout(0.1).name == "dropout"
    assert Scale().name == "scale"
    assert layers.Dense(1, name="custom").name == "custom"
    assert layers.Dense(1).name == "dense_3"
    clear_session()
    assert layers.Dense(1).name == "dense"


def test_snake_case_names():
    assert snake_case("BatchNormalization") == "batch_normalization"
    assert snake_case("InputLayer") == "input_layer"
    assert snake_case("ReLU") == "re_lu"
    assert snake_case("LSTM") == "lstm"


@pytest.mark.parametrize("class_name, keras_name", [
    ("Conv2D", "conv2d"), ("MaxPooling2D", "max_pooling2d"), ("Conv1DTranspose", "conv1d_transpose"),
    ("GlobalAveragePooling1D", "global_average_pooling1d"), ("UpSampling2D", "up_sampling2d"),
])
def test_snake_case_keeps_digit_suffixes_like_keras(class_name, keras_name):
    """Keras names a Conv2D layer 'conv2d' (its regex splits only lower->Upper, not digit->Upper)."""
    assert snake_case(class_name) == keras_name


# --- keyword checking ----------------------------------------------------------------------------------------
def test_misspelt_keyword_is_a_type_error_with_a_suggestion():
    with pytest.raises(TypeError, match=r"Dropout\(\) got an unexpected keyword argument 'trainabel'.*'trainable'"):
        layers.Dropout(0.5, trainabel=False)
    with pytest.raises(TypeError, match=r"Scale\(\).*'init_scal'.*'init_scale'"):
        Scale(init_scal=3.0)


def test_unrelated_keyword_is_a_type_error_without_a_suggestion():
    with pytest.raises(TypeError, match="unexpected keyword argument 'zzz'$"):
        layers.Flatten(zzz=1)


# --- subclassed layers ---------------------------------------------------------------------------------------
def test_subclassed_layer_eager_output(backend):
    layer = Linear(3)
    x = backend.asarray(X)
    out = layer(x)
    assert backend.is_array(out)
    w, b = layer.get_weights()
    assert w.shape == (3, 3) and b.shape == (3,)
    np.testing.assert_allclose(to_host(out), np.tanh(X @ w + b), rtol=1e-6, atol=1e-7)


def test_build_runs_once(backend):
    calls = []

    class Counting(Linear):
        def build(self, input_shape):
            calls.append(tuple(input_shape))
            super().build(input_shape)

    layer = Counting(2)
    layer(backend.asarray(X))
    layer(backend.asarray(X))
    assert calls == [(2, 3)]


def test_subclassed_layer_gradients(backend, float64):
    layer = Linear(2)
    layer(backend.asarray(X))
    w = np.array([[0.3, -0.2], [0.1, 0.5], [-0.4, 0.2]])
    b = np.array([0.05, -0.1])

    def fn(x, w_value, b_value):
        with Assigned([layer.w, layer.b], [w_value, b_value]):
            return layer(x)

    check_gradients(fn, X.astype(np.float64), w, b)


def test_calling_build_directly_marks_the_layer_built(backend):
    """Keras 3 wraps every build() so that it sets `built`; a user's build that doesn't call super().build()
    and is called directly (often from a parent's build) must not be run again by the first call, which
    would make a second set of weights."""
    layer = Linear(2)
    layer.build((None, 3))
    assert layer.built
    w = layer.w
    layer(backend.asarray(X))
    assert layer.w is w
    assert [v.name for v in layer.weights] == ["w", "b"]
    assert layer.count_params() == 8


def test_subclassed_layer_in_sequential_and_functional_models(backend):
    layer = Linear(2)
    model = nnkit.Sequential([nnkit.Input(shape=(3,)), layer])
    assert model.outputs[0].shape == (None, 2)
    assert [v.path for v in model.weights] == [f"{layer.name}/w", f"{layer.name}/b"]
    w, b = layer.get_weights()
    np.testing.assert_allclose(model.predict(X, verbose=0), np.tanh(X @ w + b), rtol=1e-5, atol=1e-6)

    inputs = nnkit.Input(shape=(3,))
    functional = nnkit.Model(inputs, Scale()(layer(inputs)))
    np.testing.assert_allclose(functional.predict(X, verbose=0), 2.0 * np.tanh(X @ w + b) + 1.0,
                               rtol=1e-5, atol=1e-6)


def test_subclassed_layer_trains_in_a_model(backend):
    nnkit.set_random_seed(0)
    layer = Linear(1)
    model = nnkit.Sequential([nnkit.Input(shape=(3,)), layer])
    model.compile(optimizer="sgd", loss="mse", backend=backend.name)
    x = np.random.default_rng(0).standard_normal((16, 3)).astype(np.float32)
    y = np.tanh(x @ np.array([[0.5], [-0.3], [0.2]], np.float32))
    before = layer.get_weights()
    loss_before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < loss_before
    assert not np.allclose(before[0], layer.get_weights()[0])


def test_nested_sublayers_are_tracked(backend):
    block = Block(name="blk")
    block(backend.asarray(X))
    assert [sub.name for sub in block._sublayers] == ["blk_first", "blk_second", "blk_scale"]
    assert [v.path for v in block.weights] == [
        "blk/gain", "blk_first/kernel", "blk_first/bias", "blk_second/kernel", "blk_second/bias",
        "blk_scale/scale", "blk_scale/offset",
    ]
    assert [v.path for v in block.trainable_weights] == [
        "blk/gain", "blk_first/kernel", "blk_first/bias", "blk_second/kernel", "blk_second/bias", "blk_scale/scale",
    ]
    assert [v.path for v in block.non_trainable_weights] == ["blk_scale/offset"]
    assert len(block.get_weights()) == 7


def test_frozen_sublayer_weights_are_non_trainable_in_the_parent(backend):
    block = Block(name="outer")
    block(backend.asarray(X))
    block.first.trainable = False
    assert [v.path for v in block.non_trainable_weights] == ["outer_first/kernel", "outer_first/bias",
                                                             "outer_scale/offset"]
    assert "outer_first/kernel" not in [v.path for v in block.trainable_weights]
    block.trainable = False
    assert block.trainable_weights == [] and len(block.non_trainable_weights) == 7


def test_nested_layer_in_a_model_predicts_like_eager(backend):
    block = Block()
    eager = to_host(block(backend.asarray(X)))
    model = nnkit.Sequential([nnkit.Input(shape=(3,)), block])
    assert len(model.weights) == 7
    np.testing.assert_allclose(model.predict(X, verbose=0), eager, rtol=1e-5, atol=1e-6)


def test_layers_in_a_dict_attribute_are_tracked(backend):
    """Keras tracks layers held in dicts as well as in lists (e.g. one head per output)."""
    class Heads(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.heads = {"a": layers.Dense(1, name="head_a"), "b": layers.Dense(2, name="head_b")}

        def call(self, inputs):
            return [self.heads["a"](inputs), self.heads["b"](inputs)]

    heads = Heads()
    heads(backend.asarray(X))
    assert [v.path for v in heads.weights] == ["head_a/kernel", "head_a/bias", "head_b/kernel", "head_b/bias"]
    assert heads.count_params() == 4 + 8


def test_a_layer_is_not_tracked_twice():
    class Twice(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.a = layers.Dense(2)
            self.b = self.a

    assert len(Twice()._sublayers) == 1


# --- calling --------------------------------------------------------------------------------------------------
def test_training_flag_reaches_call_only_when_accepted(backend):
    x = backend.asarray(X)
    layer = TrainingAware()
    np.testing.assert_allclose(to_host(layer(x, training=True)), 2 * X)
    np.testing.assert_allclose(to_host(layer(x, training=False)), X)
    np.testing.assert_allclose(to_host(layer(x)), X)
    # Linear.call has no `training`: the keyword is dropped rather than breaking the call.
    Linear(2)(x, training=True)


def test_base_layer_call_is_not_implemented(backend):
    with pytest.raises(NotImplementedError, match="Layer Layer does not implement call"):
        Layer()(backend.asarray(X))


def test_default_compute_output_shape_runs_call(backend):
    layer = Linear(5)
    layer.build((None, 3))
    assert layer.compute_output_shape((None, 3)) == (None, 5)
    assert layer.compute_output_shape((None, 7, 3)) == (None, 7, 5)
    assert Scale()(nnkit.Input(shape=(4, 3))).shape == (None, 4, 3)


def test_output_of_a_layer_never_called_symbolically():
    with pytest.raises(AttributeError, match="'lonely' has not been called on a symbolic tensor"):
        layers.Dense(2, name="lonely").output


def test_input_and_output_of_a_symbolic_call():
    inputs = nnkit.Input(shape=(3,))
    layer = layers.Dense(2)
    outputs = layer(inputs)
    assert layer.input is inputs and layer.output is outputs
    assert outputs.shape == (None, 2) and outputs.layer is layer


def test_activity_regularizer_adds_a_loss_per_call(backend):
    layer = layers.Dense(2, activity_regularizer=regularizers.L2(0.5))
    layer.build((None, 3))
    kernel = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    layer.set_weights([kernel, np.zeros(2)])
    with call_context.CallContext() as context:
        out = to_host(layer(backend.asarray(X)))
    assert len(context.losses) == 1
    # Keras divides the activity penalty by the batch size.
    expected = 0.5 * np.sum(out.astype(np.float64) ** 2) / X.shape[0]
    np.testing.assert_allclose(float(to_host(context.losses[0])), expected, rtol=1e-5)
    assert layer.get_config()["activity_regularizer"]["class_name"] == "L2"


# --- configuration ------------------------------------------------------------------------------------------
def _builtin_layers():
    return {
        "dense": (lambda: layers.Dense(3, activation="tanh", kernel_regularizer="l2", input_dim=4), (2, 4)),
        "dense_no_bias": (lambda: layers.Dense(2, use_bias=False, kernel_initializer="he_normal"), (2, 4)),
        "activation": (lambda: layers.Activation("softplus"), (2, 4)),
        "dropout": (lambda: layers.Dropout(0.4, noise_shape=(None, 1), seed=3), (2, 4)),
        "flatten": (lambda: layers.Flatten(), (2, 2, 2)),
        "reshape": (lambda: layers.Reshape((2, -1)), (2, 4)),
        "lambda": (lambda: layers.Lambda(_double, arguments={"by": 3.0}), (2, 4)),
        "input_layer": (lambda: layers.InputLayer(shape=(4,)), (2, 4)),
        "scale": (lambda: Scale(init_scale=0.5, trainable=False), (2, 4)),
        "linear": (lambda: Linear(units=2, dtype="float32"), (2, 4)),
    }


def _double(x, by=2.0):
    return ops.multiply(x, by)


CUSTOM = {"Scale": Scale, "Linear": Linear, "_double": _double}


@pytest.mark.parametrize("key", list(_builtin_layers()))
def test_config_round_trip_gives_the_same_layer_and_output(backend, key):
    make, shape = _builtin_layers()[key]
    layer = make()
    x = backend.asarray(np.random.default_rng(3).standard_normal(shape).astype(np.float32))
    expected = to_host(layer(x))

    config = json.loads(json.dumps(layer.get_config()))  # JSON-ready, as saving needs
    clone = layers.deserialize({"class_name": type(layer).__name__, "config": config}, custom_objects=CUSTOM)
    assert type(clone) is type(layer)
    assert json.loads(json.dumps(clone.get_config())) == config
    assert clone.trainable == layer.trainable and clone.dtype == layer.dtype

    clone(x)  # build
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(to_host(clone(x)), expected, rtol=1e-6, atol=1e-7)


def test_base_config_keys():
    config = layers.Dense(2, name="base_cfg", trainable=False, dtype="float64", input_shape=(3,)).get_config()
    assert config["name"] == "base_cfg"
    assert config["trainable"] is False
    assert config["dtype"]["class_name"] == "DTypePolicy" and config["dtype"]["config"] == {"name": "float64"}
    assert config["batch_input_shape"] == [None, 3]


def test_dtype_float64_layer_makes_float64_weights(backend, float64):
    layer = layers.Dense(2, dtype="float64")
    layer.build((None, 3))
    assert all(w.dtype == np.float64 for w in layer.get_weights())
    assert np.dtype(layer.kernel.dtype) == np.float64
