"""Merge layers: combine a list of tensors into one (Keras' Add, Concatenate, Dot, ... and add(), ...)."""
from nnkit.layers.merging.add import Add, add
from nnkit.layers.merging.average import Average, average
from nnkit.layers.merging.base import Merge
from nnkit.layers.merging.concatenate import Concatenate, concatenate
from nnkit.layers.merging.dot import Dot, dot
from nnkit.layers.merging.maximum import Maximum, maximum
from nnkit.layers.merging.minimum import Minimum, minimum
from nnkit.layers.merging.multiply import Multiply, multiply
from nnkit.layers.merging.subtract import Subtract, subtract

__all__ = [
    "Add", "Average", "Concatenate", "Dot", "Maximum", "Merge", "Minimum", "Multiply", "Subtract",
    "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract",
]
