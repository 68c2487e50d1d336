"""nnkit.optimizers: Keras 3's optimizers as pure init/update pairs, found by name, config or instance."""

from nnkit.optimizers import schedules
from nnkit.optimizers.adadelta import Adadelta
from nnkit.optimizers.adafactor import Adafactor
from nnkit.optimizers.adagrad import Adagrad
from nnkit.optimizers.adam import Adam
from nnkit.optimizers.adamax import Adamax
from nnkit.optimizers.adamw import AdamW
from nnkit.optimizers.ftrl import Ftrl
from nnkit.optimizers.lamb import Lamb
from nnkit.optimizers.lion import Lion
from nnkit.optimizers.loss_scale_optimizer import LossScaleOptimizer
from nnkit.optimizers.nadam import Nadam
from nnkit.optimizers.optimizer import Optimizer
from nnkit.optimizers.rmsprop import RMSprop
from nnkit.optimizers.sgd import SGD
from nnkit.naming import look_up

# Built-in optimizers by lower-cased class name ('sgd', 'rmsprop', 'adam', ...), as Keras looks them up.
_BY_NAME = {cls.__name__.lower(): cls for cls in (
    SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, Nadam, Lion, Adafactor, Ftrl, Lamb,
    LossScaleOptimizer)}


def _lookup(name, custom_objects=None):
    """The optimizer class called `name` (case-insensitive), or a ValueError suggesting close names."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return look_up(_BY_NAME, name.lower() if isinstance(name, str) else name, "optimizer",
                   "an Optimizer instance, a config dict, or a class name in any case")

def serialize(optimizer):
    """The config dict `{'class_name': ..., 'config': ...}` that `get`/`deserialize` turn back into it."""
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"Only Optimizer instances can be serialized; received {optimizer!r}")
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config, custom_objects=None):
    """Rebuild an optimizer from a `serialize` dict; `custom_objects` maps names to user classes."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"An optimizer config needs a 'class_name' key; received {config!r}")
    return _lookup(config["class_name"], custom_objects).from_config(config.get("config") or {}, custom_objects)


def get(identifier):
    """An optimizer from an instance (returned as is), a class, a name such as 'adam', or a config dict."""
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")


__all__ = [
    "Adadelta", "Adafactor", "Adagrad", "Adam", "Adamax", "AdamW", "Ftrl", "Lamb", "Lion", "LossScaleOptimizer",
    "Nadam", "Optimizer", "RMSprop", "SGD", "deserialize", "get", "schedules", "serialize",
]
