"""nnkit.mixed_precision: Keras' legacy names for dtype policies and loss scaling (keras.mixed_precision)."""
from nnkit.config import dtype_policy, set_dtype_policy
from nnkit.dtype_policies import DTypePolicy
from nnkit.optimizers import LossScaleOptimizer

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy

__all__ = ["DTypePolicy", "LossScaleOptimizer", "Policy", "dtype_policy", "global_policy", "set_dtype_policy",
           "set_global_policy"]
