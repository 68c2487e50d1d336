"""Keras 3's debugging caps (nnkit.config.set_max_epochs / set_max_steps_per_epoch), applied by fit(),
evaluate() and predict(): a quick run of a long script without editing it."""
import warnings

from nnkit import config


def capped_epochs(epochs):
    """fit()'s epochs, at most config.max_epochs() (with a warning when that cuts them)."""
    cap = config.max_epochs()
    if cap and isinstance(epochs, int) and cap < epochs:
        warnings.warn(f"Limiting epochs to {cap} (nnkit.config.max_epochs()).", stacklevel=3)
        return cap
    return epochs


def capped_steps(steps):
    """The batches of one epoch or pass (steps_per_epoch, validation_steps, steps): at most
    config.max_steps_per_epoch(); None (every batch) becomes the cap when there is one."""
    cap = config.max_steps_per_epoch()
    if cap and (not steps or (isinstance(steps, int) and cap < steps)):
        warnings.warn(f"Limiting steps_per_epoch to {cap} (nnkit.config.max_steps_per_epoch()).", stacklevel=3)
        return cap
    return steps
