"""How often a saving callback writes: once per epoch ('epoch') or every `save_freq` training batches."""


def check_save_freq(save_freq, owner):
    """`save_freq` as given, after checking it is 'epoch' or a positive integer."""
    if save_freq != "epoch" and not (isinstance(save_freq, int) and not isinstance(save_freq, bool) and save_freq > 0):
        raise ValueError(f"{owner}: unrecognized save_freq: {save_freq!r}. Expected save_freq to be 'epoch' or "
                         f"a positive integer (a number of batches).")
    return save_freq


class BatchCounter:
    """Counts training batches across epochs and says when `every` of them have passed since the last save."""

    def __init__(self, every):
        self.every = every
        self.since_save = 0

    def due(self):
        """Count one batch; True (and restart the count) when a save is due."""
        self.since_save += 1
        if self.since_save >= self.every:
            self.since_save = 0
            return True
        return False
