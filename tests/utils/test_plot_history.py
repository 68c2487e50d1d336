"""plot_history / History.plot: one panel per quantity, training against validation, saved as a PNG of the
asked size; a clear error for an empty history or an unknown metric."""
import pytest

from nnkit.callbacks import History
from nnkit.utils import plot_history
from image_checks import read_png

pytest.importorskip("matplotlib")


def _history():
    history = History()
    history.epoch = [0, 1, 2]
    history.history = {"loss": [1.0, 0.6, 0.4], "mae": [0.9, 0.7, 0.5], "val_loss": [1.1, 0.8, 0.7],
                       "val_mae": [1.0, 0.8, 0.6]}
    return history


def test_each_quantity_gets_a_panel_with_its_validation_curve(tmp_path):
    figure = _history().plot(to_file=tmp_path / "history.png")
    assert [axes.get_title() for axes in figure.axes] == ["loss", "mae"]
    assert [line.get_label() for line in figure.axes[0].get_lines()] == ["training", "validation"]
    assert list(figure.axes[1].get_lines()[1].get_ydata()) == [1.0, 0.8, 0.6]
    pixels = read_png(tmp_path / "history.png")
    assert pixels.shape[:2] == (350, 900)  # figsize (4.5 x 2 panels, 3.5) inches at 100 dpi


def test_chosen_metrics_and_figure_size(tmp_path):
    figure = plot_history(_history(), metrics=["mae"], to_file=tmp_path / "mae.png", figsize=(3, 2), dpi=50)
    assert [axes.get_title() for axes in figure.axes] == ["mae"]
    assert read_png(tmp_path / "mae.png").shape[:2] == (100, 150)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="empty history"):
        plot_history(History())
    with pytest.raises(ValueError, match=r"no logs named \['auc'\]"):
        plot_history(_history(), metrics=["auc"])
