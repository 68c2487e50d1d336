"""Names: Keras' CamelCase-to-snake_case rule, and unique default layer names."""
import re

_name_counts = {}


def snake_case(name):
    """Keras' rule: 'BatchNormalization' -> 'batch_normalization', 'Conv2D' -> 'conv2d'."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(prefix):
    """Keras-style unique names: 'dense', 'dense_1', 'dense_2', ..."""
    count = _name_counts.get(prefix, 0)
    _name_counts[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"


def reset_names():
    """Forget the names handed out (clear_session)."""
    _name_counts.clear()
