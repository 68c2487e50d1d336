"""Keras' get / serialize / deserialize for one family of configurable objects (initializers, regularizers,
constraints): its classes by name, snake_case name and aliases, and the config dicts
`{'class_name': ..., 'config': {...}}` that carry them."""
import inspect

from nnkit.naming import look_up, snake_case


class Catalog:
    """The classes of one family (subclasses of `base`), called `kind` in error messages."""

    def __init__(self, base, classes, kind, aliases=None):
        self.base, self.kind = base, kind
        self.by_name = {cls.__name__: cls for cls in classes}
        self.by_name.update({snake_case(cls.__name__): cls for cls in classes})
        self.by_name.update(aliases or {})
        self._accepted = (f"{_article(base.__name__)} {base.__name__} instance or class, a callable, "
                          f"a config dict {{'class_name': ..., 'config': {{...}}}}")

    def lookup(self, name):
        """The class called `name`, or a ValueError suggesting close names."""
        return look_up(self.by_name, name, self.kind, self._accepted)

    def serialize(self, instance):
        """The config dict that `get`/`deserialize` turn back into `instance` (None stays None, so layers can
        store an absent object)."""
        if instance is None:
            return None
        if not isinstance(instance, self.base):
            raise ValueError(f"Only {self.base.__name__} instances can be serialized; received {instance!r}")
        return {"class_name": type(instance).__name__, "config": instance.get_config()}

    def deserialize(self, config):
        """Rebuild an object from a `serialize` dict (or, as Keras takes too, a name)."""
        if isinstance(config, str):
            return self.lookup(config)()
        if not isinstance(config, dict) or "class_name" not in config:
            raise ValueError(f"{_article(self.kind).capitalize()} {self.kind} config needs a 'class_name' key; "
                             f"received {config!r}")
        return self.lookup(config["class_name"]).from_config(config.get("config") or {})

    def get(self, identifier):
        """An object from a name, config dict, instance, class of the family or callable; None stays None."""
        if identifier is None or isinstance(identifier, self.base):
            return identifier
        if isinstance(identifier, str):
            return self.lookup(identifier)()
        if isinstance(identifier, dict):
            return self.deserialize(identifier)
        if inspect.isclass(identifier) and issubclass(identifier, self.base):
            return identifier()
        if callable(identifier):
            return identifier
        raise ValueError(f"Could not interpret {self.kind} identifier: {identifier!r}")


def _article(word):
    return "an" if word[0].lower() in "aeiou" else "a"
