"""nnkit: a Keras-shaped neural-network framework over NumPy, CuPy and JAX backends."""
from nnkit import (activations, backends, callbacks, config, constraints, distribution, initializers, layers, losses,
                   metrics, models, ops, optimizers, random, regularizers, saving, utils)
from nnkit import dtype_policies, mixed_precision
from nnkit.dtype_policies import DTypePolicy
from nnkit.layers import Input
from nnkit.models import Model, Sequential
from nnkit.ops.variable import Variable
from nnkit.random import set_random_seed

__version__ = "0.1.0"

__all__ = ["activations", "backends", "callbacks", "config", "constraints", "distribution", "initializers", "layers", "losses",
           "metrics", "models", "ops", "optimizers", "random", "regularizers", "saving", "utils", "Input", "Model",
           "Sequential", "Variable", "set_random_seed", "dtype_policies", "mixed_precision", "DTypePolicy"]
