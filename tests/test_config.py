"""nnkit.config: Keras 3's keras.config names (floatx, epsilon, image_data_format, backend, switches)."""
import numpy as np
import pytest

import nnkit
from conftest import BACKENDS
from nnkit import config, layers


@pytest.fixture
def restore_config():
    saved = (config.floatx(), config.epsilon(), config.image_data_format())
    yield
    config.set_floatx(saved[0])
    config.set_epsilon(saved[1])
    config.set_image_data_format(saved[2])


def test_keras_config_names_exist():
    keras_names = ["backend", "epsilon", "floatx", "image_data_format", "set_epsilon", "set_floatx",
                   "set_image_data_format", "set_backend", "enable_traceback_filtering",
                   "disable_traceback_filtering", "is_traceback_filtering_enabled", "enable_interactive_logging",
                   "disable_interactive_logging", "is_interactive_logging_enabled", "enable_flash_attention",
                   "disable_flash_attention", "is_flash_attention_enabled", "enable_unsafe_deserialization",
                   "max_epochs", "set_max_epochs", "max_steps_per_epoch", "set_max_steps_per_epoch", "dtype_policy",
                   "set_dtype_policy"]
    assert [name for name in keras_names if not callable(getattr(nnkit.config, name, None))] == []


def test_switches_toggle():
    config.disable_traceback_filtering()
    assert not config.is_traceback_filtering_enabled()
    config.enable_traceback_filtering()
    assert config.is_traceback_filtering_enabled()


def test_epsilon_and_bad_values(restore_config):
    config.set_epsilon(1e-5)
    assert config.epsilon() == 1e-5
    with pytest.raises(ValueError, match="floatx"):
        config.set_floatx("int8")
    with pytest.raises(ValueError, match="image_data_format"):
        config.set_image_data_format("nhwc")


def test_image_data_format_is_the_layers_default(restore_config):
    config.set_image_data_format("channels_first")
    layer = layers.Conv2D(2, 3)
    assert layer.get_config()["data_format"] == "channels_first"
    assert layer.compute_output_shape((None, 1, 5, 5)) == (None, 2, 3, 3)
    assert layers.MaxPooling2D().data_format == "channels_first"
    config.set_image_data_format("channels_last")
    assert layers.Conv2D(2, 3).data_format == "channels_last"


def test_backend_names_the_default():
    assert config.backend() in BACKENDS


@pytest.mark.skipif("jax" not in BACKENDS, reason="JAX is not installed")
def test_float64_on_jax_really_computes_in_float64(restore_config):
    import jax

    before = jax.config.read("jax_enable_x64")
    config.set_floatx("float64")
    model = nnkit.Sequential([nnkit.Input((2,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile(loss="mse", backend="jax")
    x = np.array([[1.0, 1e-12]])
    prediction = model.predict(x, verbose=0)
    assert prediction.dtype == np.float64 and prediction[0, 0] - 1.0 == pytest.approx(1e-12, rel=1e-6)
    config.set_floatx("float32")
    assert jax.config.read("jax_enable_x64") == before
