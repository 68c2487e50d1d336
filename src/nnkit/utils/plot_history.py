"""plot_history: loss and metric curves of a fit, training against validation, one panel per quantity.
matplotlib is imported only here (object API, no pyplot state), so nnkit imports without it."""
import os


def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("plot_history needs matplotlib: pip install matplotlib.") from error
    return Figure


def plot_history(history, metrics=None, to_file=None, figsize=None, dpi=100):
    """A matplotlib Figure with one panel per logged quantity (`metrics` picks them; by default every
    one, 'loss' first), its validation curve beside it; saved to `to_file` (PNG, SVG, PDF) when given."""
    logs = getattr(history, "history", history)
    if not logs:
        raise ValueError("plot_history received an empty history: run fit() first.")
    names = metrics or [name for name in logs if not name.startswith("val_")]
    unknown = [name for name in names if name not in logs]
    if unknown:
        raise ValueError(f"plot_history: no logs named {unknown}; the history has {sorted(logs)}.")
    names = sorted(names, key=lambda name: name != "loss")
    figure = _figure_class()(figsize=figsize or (4.5 * len(names), 3.5), dpi=dpi)
    epochs = list(getattr(history, "epoch", None) or range(len(logs[names[0]])))
    for index, name in enumerate(names):
        axes = figure.add_subplot(1, len(names), index + 1)
        axes.plot([e + 1 for e in epochs[:len(logs[name])]], logs[name], marker="o", label="training")
        validation = logs.get(f"val_{name}")
        if validation:
            axes.plot([e + 1 for e in epochs[:len(validation)]], validation, marker="o", label="validation")
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.legend()
    figure.tight_layout()
    if to_file is not None:
        figure.savefig(os.fspath(to_file))
    return figure
