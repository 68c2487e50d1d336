"""Noise and regularization layers (SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout,
ActivityRegularization): the identity at inference; when training, the statistics Keras defines (whole
channels dropped, noise of the right spread, SELU's moments kept), drawn reproducibly from the step's key and
nnkit.utils.set_random_seed; gradients, shapes, configs and errors."""
import json

import numpy as np
import pytest

import nnkit
from gradcheck import backend_params, check_gradients, to_host
from nnkit import Input, layers
from nnkit.layers.call_context import CallContext

# JAX compiles each random draw of a new shape: sweeps run on NumPy, a representative of each kind on JAX too.
NUMPY_ONLY = pytest.mark.parametrize("backend", ["numpy"], indirect=True)
X = np.random.default_rng(0).uniform(0.5, 1.5, size=(40, 10, 10)).astype(np.float32)

NOISE_LAYERS = {
    "SpatialDropout1D": lambda: layers.SpatialDropout1D(0.5),
    "SpatialDropout2D": lambda: layers.SpatialDropout2D(0.5),
    "SpatialDropout3D": lambda: layers.SpatialDropout3D(0.5, data_format="channels_first"),
    "GaussianNoise": lambda: layers.GaussianNoise(0.3),
    "GaussianDropout": lambda: layers.GaussianDropout(0.3),
    "AlphaDropout": lambda: layers.AlphaDropout(0.3),
    "ActivityRegularization": lambda: layers.ActivityRegularization(l1=0.1),
}
RANK = {"SpatialDropout1D": 3, "SpatialDropout2D": 4, "SpatialDropout3D": 5}


def sample(name):
    """An input of the rank the layer takes, holding X's values."""
    return X.reshape({3: (40, 10, 10), 4: (40, 10, 5, 2), 5: (40, 2, 5, 5, 2)}[RANK.get(name, 3)])


def train(backend, layer, x, seed=0):
    with CallContext(backend.random_key(seed)):
        return to_host(layer(backend.asarray(x), training=True))


@pytest.mark.parametrize("name", NOISE_LAYERS)
def test_identity_at_inference(backend, name):
    layer = NOISE_LAYERS[name]()
    x = sample(name)
    np.testing.assert_array_equal(to_host(layer(backend.asarray(x))), x)
    np.testing.assert_array_equal(to_host(layer(backend.asarray(x), training=False)), x)
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + x.shape[1:]


@pytest.mark.parametrize("name", [n for n in NOISE_LAYERS if n != "ActivityRegularization"])
def test_random_layers_declare_randomness_and_support_masks(name):
    layer = NOISE_LAYERS[name]()
    assert layer.uses_randomness and layer.supports_masking


# --- statistics when training --------------------------------------------------------------------------
SPATIAL_CASES = {
    "1d": (layers.SpatialDropout1D(0.4), X, (1,)),
    "2d": (layers.SpatialDropout2D(0.4), X.reshape(40, 10, 5, 2), (1, 2)),
    "2d-channels-first": (layers.SpatialDropout2D(0.4, data_format="channels_first"), X.reshape(40, 2, 10, 5), (2, 3)),
    "3d": (layers.SpatialDropout3D(0.4), X.reshape(40, 2, 5, 5, 2), (1, 2, 3)),
}


@pytest.mark.parametrize("backend, case", backend_params(SPATIAL_CASES, lambda name, case: name == "2d"),
                         indirect=["backend"])
def test_spatial_dropout_drops_whole_channels(backend, case):
    layer, x, spatial = case
    out = train(backend, layer, x)
    dropped = out == 0
    # Each (sample, channel) is dropped at every spatial position or at none.
    np.testing.assert_array_equal(dropped.all(axis=spatial), dropped.any(axis=spatial))
    assert abs(dropped.all(axis=spatial).mean() - 0.4) < 0.15
    np.testing.assert_allclose(out[~dropped], x[~dropped] / 0.6, rtol=1e-6)


def test_gaussian_noise_adds_zero_mean_noise_of_stddev(backend):
    noise = train(backend, layers.GaussianNoise(0.3), X) - X
    assert abs(noise.mean()) < 0.02 and abs(noise.std() - 0.3) < 0.02


@NUMPY_ONLY
def test_gaussian_dropout_multiplies_by_one_centred_noise(backend):
    factor = train(backend, layers.GaussianDropout(0.2), X) / X
    assert abs(factor.mean() - 1.0) < 0.03 and abs(factor.std() - np.sqrt(0.2 / 0.8)) < 0.03


@NUMPY_ONLY
def test_alpha_dropout_keeps_zero_mean_and_unit_variance(backend):
    x = np.random.default_rng(1).standard_normal((100, 100)).astype(np.float32)
    out = train(backend, layers.AlphaDropout(0.2), x)
    assert abs(out.mean()) < 0.05 and abs(out.std() - 1.0) < 0.05
    # Dropped units all take one value: a * (-alpha * scale) + b.
    saturated = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.2) * (1 + 0.2 * saturated ** 2)) ** -0.5
    assert abs(np.isclose(out, a * saturated - a * saturated * 0.2, atol=1e-6).mean() - 0.2) < 0.03


@NUMPY_ONLY
def test_alpha_dropout_noise_shape_broadcasts(backend):
    out = train(backend, layers.AlphaDropout(0.5, noise_shape=(None, 1, 10)), X)
    dropped = np.isclose(out, out.min())
    np.testing.assert_array_equal(dropped, np.broadcast_to(dropped[:, :1], dropped.shape))


# --- reproducibility ---------------------------------------------------------------------------------------
RANDOM = {name: name for name in ["SpatialDropout2D", "GaussianNoise", "GaussianDropout", "AlphaDropout"]}


@pytest.mark.parametrize("backend, name", backend_params(RANDOM, lambda name, case: name == "GaussianNoise"),
                         indirect=["backend"])
def test_same_key_same_noise_and_seed_changes_it(backend, name):
    x = sample(name)
    layer = NOISE_LAYERS[name]()
    first = train(backend, layer, x, seed=5)
    np.testing.assert_array_equal(first, train(backend, layer, x, seed=5))
    assert not np.array_equal(first, train(backend, layer, x, seed=6))
    seeded = type(layer).from_config({**layer.get_config(), "seed": 3, "name": "seeded"})
    assert not np.array_equal(first, train(backend, seeded, x, seed=5))


def test_set_random_seed_makes_training_noise_reproducible(backend):
    def noisy_fit_output():
        nnkit.utils.set_random_seed(11)
        inputs = Input(shape=(10, 10))
        model = nnkit.Model(inputs, layers.GaussianNoise(0.5)(inputs, training=True))
        return model.predict(X[:4], verbose=0)

    first = noisy_fit_output()
    assert not np.allclose(first, X[:4])
    np.testing.assert_array_equal(first, noisy_fit_output())


# --- gradients and the activity loss -------------------------------------------------------------------------
# On the tape only: given its key, each layer is plain elementwise ops, which JAX differentiates itself.
@pytest.mark.parametrize("backend, name", backend_params(RANDOM, lambda name, case: False), indirect=["backend"])
def test_gradient_through_fixed_noise(backend, name):
    layer = NOISE_LAYERS[name]()
    x = np.random.default_rng(2).standard_normal((2, 3, 2, 2) if name == "SpatialDropout2D" else (2, 3))

    def fn(t):
        with CallContext(backend.random_key(4)):
            return layer(t, training=True)

    check_gradients(fn, x)


def test_activity_regularization_adds_the_penalty_per_sample(backend):
    model = nnkit.Sequential([Input(shape=(2,)), layers.ActivityRegularization(l1=0.1, l2=0.01)])
    model.compile(optimizer="sgd", loss="mse", backend=backend.name)
    x = np.array([[1.0, -2.0], [3.0, 0.5]], np.float32)
    penalty = (0.1 * np.abs(x).sum() + 0.01 * (x ** 2).sum()) / 2
    assert model.evaluate(x, x, verbose=0) == pytest.approx(penalty, rel=1e-5)


# --- configuration and errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, expected", [
    (lambda: layers.SpatialDropout1D(0.2, seed=1), {"rate": 0.2, "seed": 1}),
    (lambda: layers.SpatialDropout2D(0.2, data_format="channels_first"),
     {"rate": 0.2, "data_format": "channels_first"}),
    (lambda: layers.SpatialDropout3D(0.1), {"rate": 0.1, "data_format": "channels_last"}),
    (lambda: layers.GaussianNoise(0.1, seed=2), {"stddev": 0.1, "seed": 2}),
    (lambda: layers.GaussianDropout(0.3), {"rate": 0.3, "seed": None}),
    (lambda: layers.AlphaDropout(0.3, noise_shape=(None, 1)), {"rate": 0.3, "noise_shape": [None, 1]}),
    (lambda: layers.ActivityRegularization(l1=0.5, l2=0.25), {"l1": 0.5, "l2": 0.25}),
], ids=["spatial1d", "spatial2d", "spatial3d", "noise", "gaussian-dropout", "alpha", "activity"])
def test_config_round_trip(make, expected):
    layer = make()
    config = json.loads(json.dumps(layer.get_config()))
    assert expected.items() <= config.items()
    assert "noise_shape" not in config or type(layer) is layers.AlphaDropout
    assert "activity_regularizer" not in config
    clone = layers.deserialize(layers.serialize(layer))
    assert type(clone) is type(layer)
    assert json.loads(json.dumps(clone.get_config())) == config


@pytest.mark.parametrize("make, message", [
    (lambda: layers.GaussianNoise(1.5, name="bad"), r"GaussianNoise 'bad': stddev must be in \[0, 1\]"),
    (lambda: layers.GaussianDropout(-0.1, name="bad"), r"GaussianDropout 'bad': rate must be in \[0, 1\]"),
    (lambda: layers.AlphaDropout(2, name="bad"), r"AlphaDropout 'bad': rate must be in \[0, 1\]"),
    (lambda: layers.SpatialDropout2D(1.0, name="bad"), r"'bad': rate must be in \[0, 1\)"),
    (lambda: layers.SpatialDropout2D(0.1, data_format="NCHW", name="bad"), r"SpatialDropout2D 'bad': data_format"),
])
def test_bad_arguments_are_value_errors_naming_the_layer(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_spatial_dropout_checks_the_rank():
    with pytest.raises(ValueError, match=r"'drop'.*expected ndim=4, found ndim=3"):
        layers.SpatialDropout2D(0.5, name="drop")(X, training=True)
