"""Names: Keras' CamelCase-to-snake_case rule, and unique default layer names."""
import difflib
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


def unknown_name(kind, name, known, accepted=None):
    """The ValueError for an unknown `kind` called `name`: the closest known names, then what is accepted."""
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    names = ", ".join(sorted(str(k) for k in known))
    listing = f"Accepted: {accepted}, or one of the names {names}." if accepted else f"Known names: {names}."
    return ValueError(f"Unknown {kind} {name!r}.{hint} {listing}")


def look_up(table, name, kind, accepted=None):
    """table[name], or unknown_name's ValueError."""
    if name in table:
        return table[name]
    raise unknown_name(kind, name, table, accepted)
