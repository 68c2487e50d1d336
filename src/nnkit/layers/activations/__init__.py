"""Activation layers: Activation (any activation by name) and the parametrised ReLU family and Softmax."""
from nnkit.layers.activations.activation import Activation
from nnkit.layers.activations.elu import ELU
from nnkit.layers.activations.prelu import PReLU
from nnkit.layers.activations.relu import LeakyReLU, ReLU
from nnkit.layers.activations.softmax import Softmax

__all__ = ["Activation", "ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]
