"""nnkit.optimizers.get / serialize / deserialize: lookup by instance, class, name or config."""
import pytest

import nnkit.optimizers as optimizers
from nnkit.optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop

NAMES = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW, "adagrad": Adagrad, "adadelta": Adadelta,
         "adamax": Adamax, "nadam": Nadam}


@pytest.mark.parametrize("name", NAMES)
def test_get_by_name_and_class_name(name):
    cls = NAMES[name]
    assert type(optimizers.get(name)) is cls
    assert type(optimizers.get(cls.__name__)) is cls
    assert type(optimizers.get(name.upper())) is cls


def test_get_passes_instances_and_none_through_and_builds_classes():
    optimizer = Adam(0.1)
    assert optimizers.get(optimizer) is optimizer
    assert optimizers.get(None) is None
    assert type(optimizers.get(RMSprop)) is RMSprop


def test_get_from_a_config_dict():
    optimizer = optimizers.get({"class_name": "Adam", "config": {"learning_rate": 0.02, "amsgrad": True}})
    assert isinstance(optimizer, Adam) and optimizer.learning_rate == 0.02 and optimizer.amsgrad


@pytest.mark.parametrize("name", NAMES)
def test_serialize_round_trip(name):
    optimizer = NAMES[name](learning_rate=0.05, clipvalue=1.0, name="mine")
    config = optimizers.serialize(optimizer)
    assert config["class_name"] == NAMES[name].__name__
    rebuilt = optimizers.deserialize(config)
    assert type(rebuilt) is NAMES[name] and rebuilt.get_config() == optimizer.get_config()


def test_unknown_names_suggest_close_ones():
    with pytest.raises(ValueError, match="Did you mean .*'adam'"):
        optimizers.get("adma")
    with pytest.raises(ValueError, match="Did you mean 'rmsprop'"):
        optimizers.get("rmsporp")
    with pytest.raises(ValueError, match="one of the names .*sgd"):
        optimizers.get("lbfgs")
    with pytest.raises(ValueError, match="Could not interpret"):
        optimizers.get(3.0)
    with pytest.raises(ValueError, match="class_name"):
        optimizers.deserialize({"config": {}})


def test_custom_optimizer_by_custom_objects():
    class Mine(SGD):
        pass

    rebuilt = optimizers.deserialize({"class_name": "Mine", "config": {"learning_rate": 0.3}}, {"Mine": Mine})
    assert type(rebuilt) is Mine and rebuilt.learning_rate == 0.3


def test_schedules_module_is_importable():
    import nnkit.optimizers.schedules as schedules

    assert optimizers.schedules is schedules and hasattr(schedules, "ExponentialDecay")
