"""nnkit.dtype_policies and the global policy in nnkit.config: Keras 3's DTypePolicy names, dtypes and configs."""
import builtins

import pytest

import nnkit
from nnkit import config, dtype_policies
from nnkit.dtype_policies import DTypePolicy
from nnkit.dtype_policies import dtype_policy as dtype_policy_module


@pytest.fixture
def global_policy_restored():
    yield
    config.set_dtype_policy(None)


@pytest.mark.parametrize("name, compute, variable", [
    ("float32", "float32", "float32"), ("float64", "float64", "float64"), ("float16", "float16", "float16"),
    ("bfloat16", "bfloat16", "bfloat16"), ("mixed_float16", "float16", "float32"),
    ("mixed_bfloat16", "bfloat16", "float32"), ("int32", "int32", "int32")])
def test_a_policy_name_sets_compute_and_variable_dtypes(name, compute, variable):
    policy = DTypePolicy(name)
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (name, compute, variable)
    assert policy.quantization_mode is None
    assert repr(policy) == f'<DTypePolicy "{name}">'


def test_policies_compare_by_name():
    assert DTypePolicy("mixed_float16") == DTypePolicy("mixed_float16")
    assert DTypePolicy("mixed_float16") != DTypePolicy("float16")
    assert dtype_policies.FloatDTypePolicy("float32") == DTypePolicy("float32")


def test_an_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match="Cannot convert 'mixed_float8'.*'mixed_float16', 'mixed_bfloat16'"):
        DTypePolicy("mixed_float8")
    with pytest.raises(TypeError, match="must be a string"):
        DTypePolicy(16)
    with pytest.raises(ValueError, match="Cannot interpret dtype"):
        dtype_policies.get(object())


def test_bfloat16_without_ml_dtypes_names_the_install(monkeypatch):
    real_import = builtins.__import__

    def no_ml_dtypes(name, *args, **kwargs):
        if name == "ml_dtypes":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ml_dtypes)
    with pytest.raises(ValueError, match="pip install ml-dtypes"):
        dtype_policy_module.standardized_dtype("bfloat16")


def test_get_takes_names_policies_dtypes_and_configs():
    import numpy as np

    policy = DTypePolicy("mixed_bfloat16")
    assert dtype_policies.get(policy) is policy
    assert dtype_policies.get("mixed_float16") == DTypePolicy("mixed_float16")
    assert dtype_policies.get(np.float64) == DTypePolicy("float64")
    assert dtype_policies.get({"class_name": "DTypePolicy", "config": {"name": "bfloat16"}}) == DTypePolicy("bfloat16")
    assert dtype_policies.get({"class_name": "Policy", "config": {"name": "mixed_float16"}}).compute_dtype == "float16"


def test_serialize_writes_keras_3s_layer_config_form_and_reads_it_back():
    config_dict = dtype_policies.serialize(DTypePolicy("mixed_float16"))
    assert config_dict == {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"},
                           "registered_name": None}
    assert dtype_policies.deserialize(config_dict) == DTypePolicy("mixed_float16")
    with pytest.raises(ValueError, match="class_name"):
        dtype_policies.deserialize({"class_name": "Dense", "config": {}})


def test_global_policy_follows_floatx_until_set(global_policy_restored):
    assert config.dtype_policy() == DTypePolicy(config.floatx())
    config.set_dtype_policy("mixed_bfloat16")
    assert config.dtype_policy() == DTypePolicy("mixed_bfloat16")
    assert DTypePolicy().name == "mixed_bfloat16"
    assert dtype_policies.get(None).name == "mixed_bfloat16"
    config.set_dtype_policy(DTypePolicy("float64"))
    assert config.dtype_policy().variable_dtype == "float64"
    with pytest.raises(ValueError, match="set_dtype_policy.*received 3"):
        config.set_dtype_policy(3)


def test_keras_names_are_exported():
    assert nnkit.DTypePolicy is DTypePolicy
    for name in ("DTypePolicy", "FloatDTypePolicy", "get", "serialize", "deserialize"):
        assert hasattr(nnkit.dtype_policies, name)
    for name in ("dtype_policy", "set_dtype_policy"):
        assert callable(getattr(nnkit.config, name))


def test_keras_reads_the_serialized_policy_and_nnkit_reads_keras():
    from layer_checks import keras_or_skip

    keras = keras_or_skip()
    for name in ("mixed_float16", "mixed_bfloat16", "float64"):
        assert dtype_policies.serialize(DTypePolicy(name)) == keras.dtype_policies.serialize(keras.DTypePolicy(name))
        theirs = keras.dtype_policies.get(dtype_policies.serialize(DTypePolicy(name)))
        assert (theirs.compute_dtype, theirs.variable_dtype) == (DTypePolicy(name).compute_dtype,
                                                                 DTypePolicy(name).variable_dtype)
