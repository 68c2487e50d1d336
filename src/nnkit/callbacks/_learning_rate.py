"""Reading and setting the optimizer's learning rate from a callback, refusing schedules clearly."""


def get_learning_rate(model, caller):
    """The current learning rate as a float; an error when there is no optimizer or it follows a schedule."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(f"{caller} needs an optimizer with a `learning_rate`; compile the model first.")
    rate = optimizer.learning_rate
    if callable(rate):
        raise TypeError(
            f"{caller} cannot manage the learning rate: the optimizer was created with a learning-rate "
            f"schedule ({type(rate).__name__}), which sets the rate itself at every step. Create the "
            f"optimizer with a float `learning_rate` to use {caller}."
        )
    return float(rate)


def set_learning_rate(model, rate):
    """Give the optimizer a new float learning rate."""
    model.optimizer.learning_rate = float(rate)
