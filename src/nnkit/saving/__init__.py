"""nnkit.saving: models to and from files (Keras 3's `.keras` and `.weights.h5`, Keras 2's `.h5`, JSON,
YAML), written atomically and loaded without running stored code."""
from nnkit.saving.registry import get_registered_name, get_registered_object, register_serializable
from nnkit.saving.saving_api import (load_model, load_weights, model_from_json, model_from_yaml, model_to_json,
                                     model_to_yaml, save_model, save_weights)

register_keras_serializable = register_serializable

__all__ = ["get_registered_name", "get_registered_object", "load_model", "load_weights", "model_from_json",
           "model_from_yaml", "model_to_json", "model_to_yaml", "register_keras_serializable",
           "register_serializable", "save_model", "save_weights"]
