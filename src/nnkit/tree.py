"""Nested structures of arrays (dicts, lists, tuples): mapping a function over their leaves."""


def map_structure(fn, tree):
    """`tree` with every leaf replaced by fn(leaf); containers keep their type."""
    if isinstance(tree, dict):
        return {key: map_structure(fn, value) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(map_structure(fn, value) for value in tree)
    if tree is None:
        return None
    return fn(tree)
