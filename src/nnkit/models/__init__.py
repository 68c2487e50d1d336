"""nnkit.models: Model (functional and subclassed), Sequential."""
from nnkit.models.functional import Functional
from nnkit.models.model import Model
from nnkit.models.sequential import Sequential
