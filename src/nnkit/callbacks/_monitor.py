"""Monitor: which epoch log value a callback watches, and which direction counts as better."""
import difflib
import warnings

_HIGHER_IS_BETTER = ("acc", "accuracy", "auc")


class Monitor:
    """The watched log key and its direction; mode 'auto' means max for accuracy/AUC names, else min."""

    def __init__(self, key, mode, min_delta, owner):
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{owner} mode {mode!r} is unknown, falling back to 'auto'.", stacklevel=3)
            mode = "auto"
        if mode == "auto":
            mode = "max" if key.removeprefix("val_").endswith(_HIGHER_IS_BETTER) else "min"
        self.key = key
        self.mode = mode
        self.min_delta = abs(min_delta)
        self.owner = owner

    def worst(self):
        """The starting 'best' value, which any real value beats."""
        return float("inf") if self.mode == "min" else float("-inf")

    def improved(self, current, reference):
        """Whether `current` beats `reference` by more than min_delta."""
        if self.mode == "min":
            return current < reference - self.min_delta
        return current > reference + self.min_delta

    def value(self, logs):
        """The watched value as a float, or None (with a warning) when the logs lack it."""
        logs = logs or {}
        if logs.get(self.key) is None:
            close = difflib.get_close_matches(self.key, list(logs), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            warnings.warn(
                f"{self.owner} is conditioned on metric `{self.key}`, which is not available.{hint} "
                f"Available metrics are: {', '.join(logs)}.",
                stacklevel=3,
            )
            return None
        return float(logs[self.key])
