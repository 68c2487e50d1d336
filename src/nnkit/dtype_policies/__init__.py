"""nnkit.dtype_policies: DTypePolicy objects found by name, config or instance (Keras 3's keras.dtype_policies)."""
from nnkit.dtype_policies.dtype_policy import DTypePolicy, FloatDTypePolicy, standardized_dtype

_CLASSES = {"DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy, "Policy": DTypePolicy}


def serialize(policy):
    """The policy as Keras 3 writes it in a layer's config: {'module': 'keras', 'class_name': 'DTypePolicy',
    'config': {'name': ...}, 'registered_name': None}."""
    if not isinstance(policy, DTypePolicy):
        raise ValueError(f"dtype_policies.serialize() takes a DTypePolicy; received {policy!r}")
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """A policy from serialize()'s dict (Keras 3's, or tf.keras 2's {'class_name': 'Policy', ...})."""
    class_name = config.get("class_name") if isinstance(config, dict) else None
    cls = (custom_objects or {}).get(class_name) or _CLASSES.get(class_name)
    if cls is None or not isinstance(config.get("config"), dict):
        raise ValueError(f"A dtype policy config needs a 'class_name' in {sorted(_CLASSES)} and a 'config' dict; "
                         f"received {config!r}")
    return cls.from_config(config["config"])


def get(identifier):
    """A DTypePolicy from None (the global policy), a policy, a name such as 'mixed_float16', a dtype object or
    a config dict."""
    if identifier is None:
        from nnkit.config import dtype_policy

        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    try:
        return DTypePolicy(standardized_dtype(identifier))
    except ValueError:
        raise ValueError(f"Cannot interpret dtype {identifier!r}: expected a dtype name such as 'float32', a "
                         f"policy name such as 'mixed_float16', or a DTypePolicy.") from None


__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]
