"""compile() settings (optimizer, loss, metrics, loss weights) to and from Keras 3's `compile_config`:
built-in objects by name or config, custom ones by registered name; nothing is pickled."""
import inspect

from nnkit.saving import registry
from nnkit.saving.object_config import custom_objects_with_registered, normalized_object


def _serialize_callable(value, kind, module):
    """A loss or metric given to compile(): a name, a Keras-style config, or a registered name."""
    from nnkit import losses, metrics, optimizers

    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {key: _serialize_callable(item, kind, module) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_serialize_callable(item, kind, module) for item in value]
    registered = registry.registered_name(value)
    if registered is not None:
        if inspect.isfunction(value):
            return {"module": None, "class_name": "function", "config": registered, "registered_name": registered}
        config = value.get_config() if not inspect.isclass(value) else {}
        return {"module": None, "class_name": type(value).__name__ if not inspect.isclass(value) else value.__name__,
                "config": config, "registered_name": registered}
    if inspect.isclass(value):
        return value.__name__
    if isinstance(value, optimizers.Optimizer):
        serialized = optimizers.serialize(value)
    elif isinstance(value, losses.Loss):
        serialized = losses.serialize(value)
    elif isinstance(value, metrics.Metric):
        serialized = metrics.serialize(value)
    elif kind == "loss" and callable(value):
        serialized = losses.serialize(value)
    elif callable(value) and getattr(value, "__name__", "<lambda>") != "<lambda>":
        return value.__name__
    else:
        raise ValueError(f"The {kind} {value!r} cannot be saved: register it with "
                         f"@nnkit.saving.register_serializable() so a loader can find it by name.")
    return {"module": module, **serialized, "registered_name": None}


def serialize_compile(model):
    """The model's compile settings in Keras 3's layout, or None when it is not compiled."""
    trainer = getattr(model, "_trainer", None)
    if trainer is None or trainer.optimizer is None:
        return None
    return {
        "optimizer": _serialize_callable(trainer.optimizer, "optimizer", "keras.optimizers"),
        "loss": _serialize_callable(trainer.loss_spec, "loss", "keras.losses"),
        "loss_weights": trainer.loss_weights,
        "metrics": _serialize_callable(trainer.metrics_spec, "metric", "keras.metrics"),
        "weighted_metrics": _serialize_callable(trainer.weighted_metrics_spec, "metric", "keras.metrics"),
        "run_eagerly": not trainer.jit,
        "steps_per_execution": trainer.steps_per_execution,
        "jit_compile": trainer.jit,
    }


def _deserialize_callable(value, kind, custom_objects):
    from nnkit import losses, metrics

    if value is None or isinstance(value, (int, float, bool)):
        return value
    if isinstance(value, str):
        found = registry.get_registered_object(value, custom_objects)
        return found if found is not None else value
    if isinstance(value, list):
        return [_deserialize_callable(item, kind, custom_objects) for item in value]
    if "class_name" not in value:
        return {key: _deserialize_callable(item, kind, custom_objects) for key, item in value.items()}
    registered = value.get("registered_name") or value["class_name"]
    found = registry.get_registered_object(registered, custom_objects)
    if value["class_name"] == "function":
        found = found or registry.get_registered_object(value["config"], custom_objects)
        return found if found is not None else value["config"]
    if found is not None:
        return found.from_config(value.get("config") or {})
    normalized = normalized_object(value, custom_objects)
    return losses.deserialize(normalized) if kind == "loss" else metrics.get(normalized)


def compile_from_config(model, config, custom_objects=None, backend=None):
    """compile() the model with settings from serialize_compile (or Keras 3's compile_config)."""
    from nnkit import optimizers

    custom_objects = custom_objects_with_registered(custom_objects)
    optimizer = config.get("optimizer")
    if isinstance(optimizer, dict):
        optimizer = optimizers.deserialize(normalized_object(optimizer, custom_objects), custom_objects)
    model.compile(optimizer=optimizer,
                  loss=_deserialize_callable(config.get("loss"), "loss", custom_objects),
                  metrics=_deserialize_callable(config.get("metrics"), "metric", custom_objects),
                  weighted_metrics=_deserialize_callable(config.get("weighted_metrics"), "metric", custom_objects),
                  loss_weights=config.get("loss_weights"), backend=backend,
                  run_eagerly=bool(config.get("run_eagerly", False)),
                  steps_per_execution=int(config.get("steps_per_execution", 1)))
