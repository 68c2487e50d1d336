"""nnkit.models: Model (functional and subclassed), Sequential, and loading them from files."""
from nnkit.models.functional import Functional
from nnkit.models.model import Model
from nnkit.models.sequential import Sequential
from nnkit.saving.saving_api import load_model, model_from_json, model_from_yaml
