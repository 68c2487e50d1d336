"""Nested structures of arrays (dicts, lists, tuples): mapping a function over their leaves, and the
signature that says when two structures take the same checks."""


def map_structure(fn, tree):
    """`tree` with every leaf replaced by fn(leaf); containers keep their type."""
    if isinstance(tree, dict):
        return {key: map_structure(fn, value) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(map_structure(fn, value) for value in tree)
    if tree is None:
        return None
    return fn(tree)


def signature(value):
    """The structure and each array's type, dtype and shape: all that input checks depend on."""
    kind = type(value)
    if kind is list or kind is tuple:
        return kind, *map(signature, value)
    if kind is dict:
        return kind, *value, *map(signature, value.values())
    return kind, getattr(value, "dtype", None), getattr(value, "shape", None)

