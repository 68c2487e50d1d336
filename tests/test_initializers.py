import math

import numpy as np
import pytest

from nnkit import initializers as I
from nnkit.random import set_random_seed

RANDOM = [
    I.RandomNormal, I.RandomUniform, I.TruncatedNormal, I.VarianceScaling, I.GlorotUniform,
    I.GlorotNormal, I.HeUniform, I.HeNormal, I.LecunUniform, I.LecunNormal, I.Orthogonal,
]
# The std of a standard normal truncated at +-2 (Keras' correction constant).
_TRUNCATED_STD_RATIO = 0.87962566103423978


@pytest.mark.parametrize("cls", RANDOM + [I.Zeros, I.Ones, I.Constant])
@pytest.mark.parametrize("shape", [(7, 5), (3, 3, 4, 6)])
def test_shape_and_dtype(cls, shape):
    assert cls()(shape).shape == shape
    assert cls()(shape).dtype == np.float32
    assert cls()(shape, dtype="float64").dtype == np.float64
    assert cls()(shape, dtype=np.float16).dtype == np.float16


def test_random_initializers_reject_int_dtype():
    with pytest.raises(ValueError, match="float"):
        I.GlorotUniform()((3, 3), dtype="int32")
    assert I.Zeros()((2,), dtype="int32").dtype == np.int32


def test_constant_values():
    assert np.array_equal(I.Zeros()((2, 3)), np.zeros((2, 3)))
    assert np.array_equal(I.Ones()((2, 3)), np.ones((2, 3)))
    assert np.array_equal(I.Constant(2.5)((4,)), np.full((4,), 2.5))
    assert np.array_equal(I.Constant()((4,)), np.zeros(4))


@pytest.mark.parametrize("cls", RANDOM)
def test_seeded_determinism(cls):
    a = cls(seed=3)((6, 4))
    assert np.array_equal(a, cls(seed=3)((6, 4)))
    assert np.array_equal(a, cls(seed=3)((6, 4)))  # a seeded instance repeats its draws
    assert not np.array_equal(a, cls(seed=4)((6, 4)))


def test_global_seed_reproduces_unseeded_sequence():
    def sequence():
        init = I.GlorotUniform()
        return init((8, 8)), init((8, 8)), I.RandomNormal()((5,))

    set_random_seed(123)
    first = sequence()
    set_random_seed(123)
    second = sequence()
    for a, b in zip(first, second):
        assert np.array_equal(a, b)
    assert not np.array_equal(first[0], first[1])  # unseeded calls take fresh seeds
    set_random_seed(124)
    assert not np.array_equal(first[0], sequence()[0])


def test_defaults_match_keras():
    assert I.RandomNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert I.RandomUniform().get_config() == {"minval": -0.05, "maxval": 0.05, "seed": None}
    assert I.TruncatedNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert I.VarianceScaling().get_config() == {
        "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None,
    }
    assert I.Orthogonal().get_config() == {"gain": 1.0, "seed": None}
    assert I.Identity().get_config() == {"gain": 1.0}
    assert I.Constant().get_config() == {"value": 0.0}


@pytest.mark.parametrize(
    "cls, scale, mode, distribution",
    [
        (I.GlorotUniform, 1.0, "fan_avg", "uniform"),
        (I.GlorotNormal, 1.0, "fan_avg", "truncated_normal"),
        (I.HeUniform, 2.0, "fan_in", "uniform"),
        (I.HeNormal, 2.0, "fan_in", "truncated_normal"),
        (I.LecunUniform, 1.0, "fan_in", "uniform"),
        (I.LecunNormal, 1.0, "fan_in", "truncated_normal"),
    ],
)
def test_presets_equal_variance_scaling(cls, scale, mode, distribution):
    init = cls(seed=9)
    assert (init.scale, init.mode, init.distribution) == (scale, mode, distribution)
    assert init.get_config() == {"seed": 9}
    expected = I.VarianceScaling(scale, mode, distribution, seed=9)((3, 3, 8, 16))
    assert np.array_equal(init((3, 3, 8, 16)), expected)


def test_compute_fans():
    assert I.compute_fans((10,)) == (10, 10)
    assert I.compute_fans((10, 20)) == (10, 20)
    assert I.compute_fans((3, 3, 16, 32)) == (9 * 16, 9 * 32)
    assert I.compute_fans((5, 4, 8)) == (5 * 4, 5 * 8)
    assert I.compute_fans(()) == (1, 1)


def test_random_uniform_and_normal_statistics():
    u = I.RandomUniform(-2.0, 3.0, seed=0)((200_000,))
    assert u.min() >= -2.0 and u.max() < 3.0
    assert abs(u.mean() - 0.5) < 0.02
    n = I.RandomNormal(mean=1.0, stddev=2.0, seed=0)((200_000,))
    assert abs(n.mean() - 1.0) < 0.02
    assert abs(n.std() - 2.0) / 2.0 < 0.01


def test_truncated_normal_bounded_by_two_stddev():
    x = I.TruncatedNormal(mean=1.0, stddev=0.5, seed=0)((200_000,)).astype(np.float64)
    assert np.all(np.abs(x - 1.0) <= 2 * 0.5 + 1e-6)
    assert abs(x.mean() - 1.0) < 0.01
    assert abs(x.std() - 0.5 * _TRUNCATED_STD_RATIO) < 0.01


def test_glorot_uniform_limit_and_variance():
    fan_in, fan_out = 300, 500
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    w = I.GlorotUniform(seed=1)((fan_in, fan_out)).astype(np.float64)
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit
    assert abs(w.var() - limit**2 / 3) / (limit**2 / 3) < 0.02


def test_he_normal_std_and_truncation():
    shape = (3, 3, 64, 128)
    fan_in = 3 * 3 * 64
    w = I.HeNormal(seed=2)(shape).astype(np.float64)
    assert abs(w.std() - math.sqrt(2.0 / fan_in)) / math.sqrt(2.0 / fan_in) < 0.03
    assert abs(w.mean()) < 1e-3
    assert np.abs(w).max() <= 2 * math.sqrt(2.0 / fan_in) / _TRUNCATED_STD_RATIO * (1 + 1e-6)


@pytest.mark.parametrize(
    "mode, expected_n", [("fan_in", 9 * 16), ("fan_out", 9 * 32), ("fan_avg", 9 * 24)]
)
def test_variance_scaling_modes_use_conv_fans(mode, expected_n):
    w = I.VarianceScaling(3.0, mode, "untruncated_normal", seed=5)((3, 3, 16, 32)).astype(np.float64)
    expected = math.sqrt(3.0 / expected_n)
    assert abs(w.std() - expected) / expected < 0.03


def test_variance_scaling_uniform_limit():
    limit = math.sqrt(3.0 * 2.0 / 40)
    w = I.VarianceScaling(2.0, "fan_out", "uniform", seed=0)((1000, 40))
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit


def test_variance_scaling_validation():
    assert I.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    assert I.VarianceScaling(distribution="Uniform").distribution == "uniform"
    with pytest.raises(ValueError, match="scale"):
        I.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="mode"):
        I.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="distribution"):
        I.VarianceScaling(distribution="cauchy")


@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 2, 5)])
def test_orthogonal(shape):
    w = I.Orthogonal(gain=1.0, seed=0)(shape, dtype="float64")
    m = w.reshape(-1, shape[-1])
    if m.shape[0] >= m.shape[1]:
        assert np.allclose(m.T @ m, np.eye(m.shape[1]), atol=1e-10)
    else:
        assert np.allclose(m @ m.T, np.eye(m.shape[0]), atol=1e-10)
    w2 = I.Orthogonal(gain=2.0, seed=0)(shape, dtype="float64")
    assert np.allclose(w2, 2.0 * w)


def test_orthogonal_follows_keras_algorithm():
    """Q of a seeded normal (rows, cols) matrix with columns sign-fixed so diag(R) > 0, transposed if wide."""
    a = np.random.default_rng(7).standard_normal((6, 4))
    q, r = np.linalg.qr(a)
    expected = q * np.sign(np.diag(r))
    assert np.allclose(I.Orthogonal(seed=7)((4, 6), dtype="float64"), expected.T)
    assert np.allclose(I.Orthogonal(seed=7)((2, 3, 4), dtype="float64"), expected.reshape(2, 3, 4))


def test_orthogonal_rejects_1d():
    with pytest.raises(ValueError, match="rank"):
        I.Orthogonal()((5,))


def test_identity():
    assert np.array_equal(I.Identity()((3, 3)), np.eye(3))
    assert np.array_equal(I.Identity(gain=2.0)((2, 4)), 2.0 * np.eye(2, 4))
    assert I.Identity()((3, 3)).dtype == np.float32
    with pytest.raises(ValueError, match="2-D"):
        I.Identity()((3, 3, 3))


@pytest.mark.parametrize(
    "name, cls",
    [
        ("glorot_uniform", I.GlorotUniform), ("GlorotUniform", I.GlorotUniform),
        ("glorot_normal", I.GlorotNormal), ("he_normal", I.HeNormal), ("he_uniform", I.HeUniform),
        ("lecun_normal", I.LecunNormal), ("lecun_uniform", I.LecunUniform),
        ("zeros", I.Zeros), ("ones", I.Ones), ("constant", I.Constant),
        ("orthogonal", I.Orthogonal), ("Orthogonal", I.Orthogonal),
        ("OrthogonalInitializer", I.Orthogonal), ("identity", I.Identity), ("IdentityInitializer", I.Identity),
        ("truncated_normal", I.TruncatedNormal), ("random_normal", I.RandomNormal),
        ("random_uniform", I.RandomUniform), ("variance_scaling", I.VarianceScaling),
        ("uniform", I.RandomUniform), ("normal", I.RandomNormal), ("zero", I.Zeros), ("one", I.Ones),
    ],
)
def test_get_by_name(name, cls):
    assert type(I.get(name)) is cls


def test_get_other_identifiers():
    init = I.HeNormal(seed=1)
    assert I.get(init) is init

    def custom(shape, dtype=None):
        return np.full(shape, 7.0)

    assert I.get(custom) is custom
    assert type(I.get(I.Ones)) is I.Ones
    assert I.get(None) is None
    from_dict = I.get({"class_name": "RandomUniform", "config": {"minval": 0.0, "maxval": 1.0, "seed": 4}})
    assert isinstance(from_dict, I.RandomUniform)
    assert (from_dict.minval, from_dict.maxval, from_dict.seed) == (0.0, 1.0, 4)
    assert isinstance(I.get({"class_name": "zeros"}), I.Zeros)
    with pytest.raises(ValueError, match="Could not interpret"):
        I.get(42)


def test_deserialize_takes_a_name_as_keras_does():
    from nnkit import constraints, regularizers

    assert type(I.deserialize("ones")) is I.Ones and type(I.deserialize("he_normal")) is I.HeNormal
    assert type(regularizers.deserialize("l2")) is regularizers.L2
    assert type(constraints.deserialize("non_neg")) is constraints.NonNeg
    assert I.serialize(None) is None
    with pytest.raises(ValueError, match="Unknown initializer 'onez'.*'ones'"):
        I.deserialize("onez")


def test_unknown_name_suggests_close_match():
    with pytest.raises(ValueError) as err:
        I.get("glorot_unifrom")
    message = str(err.value)
    assert "glorot_unifrom" in message
    assert "Did you mean" in message and "'glorot_uniform'" in message
    assert "config dict" in message
    with pytest.raises(ValueError, match="Unknown initializer"):
        I.get({"class_name": "HeNorml", "config": {}})


def test_wrong_constructor_keyword_raises_type_error():
    with pytest.raises(TypeError):
        I.RandomNormal(std=0.1)
    with pytest.raises(TypeError):
        I.GlorotUniform(scale=2.0)


@pytest.mark.parametrize(
    "init",
    [
        I.Zeros(), I.Ones(), I.Constant(3.0), I.RandomNormal(0.5, 0.1, seed=1),
        I.RandomUniform(-1.0, 2.0, seed=2), I.TruncatedNormal(0.0, 0.2, seed=3),
        I.VarianceScaling(0.5, "fan_avg", "uniform", seed=4), I.GlorotUniform(seed=5),
        I.GlorotNormal(seed=6), I.HeUniform(seed=7), I.HeNormal(seed=8), I.LecunUniform(seed=9),
        I.LecunNormal(seed=10), I.Orthogonal(gain=1.5, seed=11), I.Identity(gain=0.5),
    ],
)
def test_config_round_trip(init):
    rebuilt = type(init).from_config(init.get_config())
    assert rebuilt.get_config() == init.get_config()
    config = I.serialize(init)
    assert config == {"class_name": type(init).__name__, "config": init.get_config()}
    via_get = I.get(config)
    assert type(via_get) is type(init)
    assert np.array_equal(via_get((4, 4)), init((4, 4)))


KERAS_LOWERCASE_NAMES = [
    "constant", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "identity", "lecun_normal",
    "lecun_uniform", "ones", "orthogonal", "random_normal", "random_uniform", "truncated_normal",
    "variance_scaling", "zeros",
]


@pytest.mark.parametrize("name", KERAS_LOWERCASE_NAMES)
def test_keras_lowercase_aliases_are_the_classes(name):
    """keras.initializers.glorot_uniform is the GlorotUniform class, and so on for every lowercase name."""
    alias = getattr(I, name)
    assert isinstance(alias, type) and issubclass(alias, I.Initializer)
    assert type(I.get(name)) is alias
