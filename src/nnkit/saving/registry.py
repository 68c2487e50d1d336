"""The registry of user classes and functions that configs name ('package>Name'), Keras'
`register_keras_serializable` semantics: loading looks names up here and in `custom_objects`, never imports."""
import inspect

_REGISTERED = {}
_NAMES = {}


def register_serializable(package="Custom", name=None):
    """Decorator: make a custom layer, loss, metric, ... loadable by its registered name 'package>name'."""
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_serializable(package=...) must be a string without '>'; received {package!r}.")

    def decorate(obj):
        registered = f"{package}>{name or obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot register {obj.__name__} as serializable: it has no get_config() method.")
        _REGISTERED[registered] = obj
        _NAMES[obj] = registered
        return obj

    return decorate


def registered_name(obj):
    """The name `obj` (a class, a function, or an instance of a registered class) was registered under,
    or None."""
    key = obj if inspect.isclass(obj) or inspect.isfunction(obj) else type(obj)
    return _NAMES.get(key)


def registered_objects():
    """{registered name: class or function}, a copy."""
    return dict(_REGISTERED)


def get_registered_object(name, custom_objects=None):
    """The class or function registered (or passed in `custom_objects`) as `name`; None if there is none.
    A bare class name also finds a registered 'package>ClassName'."""
    custom_objects = custom_objects or {}
    if name in custom_objects:
        return custom_objects[name]
    if name in _REGISTERED:
        return _REGISTERED[name]
    short = name.split(">")[-1] if isinstance(name, str) else name
    if short in custom_objects:
        return custom_objects[short]
    matches = [obj for key, obj in _REGISTERED.items() if key.split(">")[-1] == short]
    return matches[0] if len(matches) == 1 else None


def get_registered_name(obj):
    """Keras' spelling: the registered name of `obj`, else its own __name__."""
    return registered_name(obj) or getattr(obj, "__name__", type(obj).__name__)
