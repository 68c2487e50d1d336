"""nnkit.mixed_precision (Keras' legacy names) and mixed precision end to end: a Conv2D/LSTM/Dense model under
'mixed_float16' trains on every backend with float32 weights and float16 activations, its optimizer is loss-scaled
by compile(), and its configs move between nnkit and Keras 3."""
import json

import numpy as np
import pytest

import nnkit
from conftest import BACKENDS
from layer_checks import keras_or_skip
from nnkit import config, layers, mixed_precision
from nnkit.optimizers import LossScaleOptimizer

RNG = np.random.default_rng(3)
X = RNG.random((32, 5, 5, 2)).astype("float32")
Y = RNG.integers(0, 3, 32)


def _model(api, policy=None):
    """Conv2D -> LSTM -> Dense in `policy`, with the softmax kept in float32 (Keras' advice)."""
    if policy is not None:
        api.config.set_dtype_policy(policy)
    try:
        return api.Sequential([
            api.Input((5, 5, 2)), api.layers.Conv2D(4, 3, activation="relu", name="conv"),
            api.layers.Reshape((3, 12), name="rows"), api.layers.LSTM(6, name="lstm"),
            api.layers.Dense(3, name="logits"), api.layers.Activation("softmax", dtype="float32", name="softmax")])
    finally:
        api.config.set_dtype_policy("float32" if api is not nnkit else None)


def test_legacy_names_alias_the_policy_functions():
    assert mixed_precision.Policy is nnkit.DTypePolicy and mixed_precision.DTypePolicy is nnkit.DTypePolicy
    assert mixed_precision.LossScaleOptimizer is LossScaleOptimizer
    try:
        mixed_precision.set_global_policy("mixed_float16")
        assert mixed_precision.global_policy() == nnkit.DTypePolicy("mixed_float16") == config.dtype_policy()
        assert layers.Dense(2).dtype_policy.name == "mixed_float16"
    finally:
        mixed_precision.set_global_policy(None)
    assert layers.Dense(2).dtype_policy.name == config.floatx()


@pytest.fixture(scope="module", params=BACKENDS)
def trained(request):
    """(backend name, mixed model, its losses per epoch, a float32 model with the mixed model's initial weights)."""
    nnkit.set_random_seed(5)
    model = _model(nnkit, "mixed_float16")
    reference = _model(nnkit)
    model.build((None, 5, 5, 2))
    reference.build((None, 5, 5, 2))
    reference.set_weights(model.get_weights())
    model.compile(optimizer=nnkit.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  backend=request.param)
    history = model.fit(X, Y, batch_size=16, epochs=4, shuffle=False, verbose=0)
    reference.set_weights(model.get_weights())
    return request.param, model, history.history["loss"], reference


def test_a_mixed_float16_model_trains_with_float32_weights(trained):
    _, model, losses, _ = trained
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert {str(w.dtype) for w in model.get_weights()} == {"float32"}
    assert all(v.dtype == np.float32 for v in model.trainable_weights)


def test_compile_wraps_the_optimizer_in_loss_scaling_under_mixed_float16(trained):
    _, model, _, _ = trained
    assert isinstance(model.optimizer, LossScaleOptimizer) and model.optimizer.name == "loss_scale_optimizer"
    assert isinstance(model.optimizer.inner_optimizer, nnkit.optimizers.Adam)
    assert float(np.asarray(model.optimizer.state["dynamic_scale"])) > 0


def test_activations_are_float16_and_the_float32_layer_gives_float32(trained):
    backend_name, model, _, _ = trained
    hidden = model.get_layer("lstm")(model.get_layer("rows")(model.get_layer("conv")(X[:4])))
    assert str(hidden.dtype) == "float16"
    assert [layer.compute_dtype for layer in model.layers] == ["float16"] * 4 + ["float32"]
    assert model.predict(X[:4], verbose=0).dtype == np.float32


def test_outputs_match_a_float32_model_within_float16_precision(trained):
    _, model, _, reference = trained
    np.testing.assert_allclose(model.predict(X, verbose=0), reference.predict(X, verbose=0), atol=5e-3)


def test_auto_scale_loss_false_and_other_policies_leave_the_optimizer_alone():
    model = _model(nnkit, "mixed_float16")
    model.compile(optimizer="sgd", loss="mse", auto_scale_loss=False)
    assert type(model.optimizer) is nnkit.optimizers.SGD
    bfloat = _model(nnkit, "mixed_bfloat16")
    bfloat.compile(optimizer="sgd", loss="mse")
    assert type(bfloat.optimizer) is nnkit.optimizers.SGD
    scaled = LossScaleOptimizer(nnkit.optimizers.SGD())
    model.compile(optimizer=scaled, loss="mse")
    assert model.optimizer is scaled


def test_predictions_keep_a_float16_output_layers_dtype():
    config.set_dtype_policy("mixed_float16")
    try:
        model = nnkit.Sequential([nnkit.Input((3,)), layers.Dense(2)])
    finally:
        config.set_dtype_policy(None)
    assert model.predict(np.ones((2, 3), "float32"), verbose=0).dtype == np.float16


def test_keras_model_configs_with_policies_load_both_ways():
    keras = keras_or_skip()
    theirs = _model(keras, "mixed_float16")
    ours = nnkit.models.model_from_json(theirs.to_json())
    assert [layer.dtype_policy.name for layer in ours.layers] == ["mixed_float16"] * 4 + ["float32"]
    assert ours.dtype_policy.name == "mixed_float16"
    back = keras.models.model_from_json(_model(nnkit, "mixed_bfloat16").to_json())
    assert [layer.dtype_policy.name for layer in back.layers] == ["mixed_bfloat16"] * 4 + ["float32"]
    entry = json.loads(ours.to_json())["config"]["layers"][1]["config"]
    assert entry["dtype"] == {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"},
                              "registered_name": None}
