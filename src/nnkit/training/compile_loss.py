"""The loss a compiled model minimises: one loss per output, weighted and summed."""
from nnkit import losses as losses_module
import numpy as np

from nnkit import ops


def _as_loss(identifier):
    if identifier is None:
        return None
    loss = losses_module.get(identifier)
    if not isinstance(loss, losses_module.Loss):
        loss = losses_module.LossFunctionWrapper(loss, name=getattr(loss, "__name__", None))
    return loss


def _per_output(value, output_names, what):
    """A single value (applies to every output), a list in output order, or a dict keyed by output name."""
    if isinstance(value, dict):
        unknown = [k for k in value if k not in output_names]
        if unknown:
            raise ValueError(f"compile({what}=...) names outputs {unknown} the model does not have; "
                             f"its outputs are {output_names}.")
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)):
        if len(value) != len(output_names):
            raise ValueError(f"compile({what}=...) has {len(value)} entries but the model has "
                             f"{len(output_names)} outputs {output_names}.")
        return list(value)
    return [value] * len(output_names)


def apply_mask(sample_weight, mask, dtype, reduction):
    """`sample_weight` times an output's mask, as Keras 3 merges them: masked entries weigh 0, and for the
    mean reductions the others weigh total/valid, so the loss averages over the unmasked entries only."""
    if mask is None:
        return sample_weight
    weights = ops.cast(mask, dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = ops.sum(weights)
        total = float(np.prod(mask.shape))
        weights = ops.multiply(weights, ops.divide(total, ops.maximum(valid, 1.0)))
    if sample_weight is None:
        return weights
    sample_weight = ops.cast(sample_weight, dtype)
    missing = len(weights.shape) - len(sample_weight.shape)
    if missing > 0:
        sample_weight = ops.reshape(sample_weight, tuple(sample_weight.shape) + (1,) * missing)
    return ops.multiply(sample_weight, weights)


class CompileLoss:
    """Resolves `compile(loss=..., loss_weights=...)` against the model's outputs. With no loss at all (a model
    trained on its add_loss terms only, as Keras allows) the total is None."""

    def __init__(self, loss, loss_weights, output_names):
        self.output_names = list(output_names)
        self.losses = [_as_loss(item) for item in _per_output(loss, self.output_names, "loss")]
        weights = _per_output(1.0 if loss_weights is None else loss_weights, self.output_names, "loss_weights")
        self.weights = [1.0 if w is None else float(w) for w in weights]

    @property
    def names(self):
        """Log names of the per-output losses (only reported for multi-output models)."""
        if len(self.output_names) == 1:
            return []
        return [f"{name}_loss" for name, loss in zip(self.output_names, self.losses) if loss is not None]

    def __call__(self, y_true, y_pred, sample_weight=None, masks=None):
        """(weighted total, [per-output loss values]) for flat lists of targets and predictions; an output's
        Keras mask (`masks`, one per output or None) weighs its samples or time steps as Keras does."""
        total, parts = None, []
        masks = masks or [None] * len(y_pred)
        for loss, weight, target, prediction, mask in zip(self.losses, self.weights, y_true, y_pred, masks):
            if loss is None:
                continue
            weights = apply_mask(sample_weight, mask, prediction.dtype, getattr(loss, "reduction", None))
            value = loss(target, prediction, sample_weight=weights)
            parts.append(value)
            weighted = value if weight == 1.0 else ops.multiply(value, weight)
            total = weighted if total is None else ops.add(total, weighted)
        return total, parts
