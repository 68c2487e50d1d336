"""The digits CNN example trains to a useful accuracy and saves a model that loads back with the same numbers."""
import pytest

import nnkit
from nnkit.examples import digits_cnn

pytest.importorskip("sklearn")


def test_the_example_learns_digits_and_its_saved_model_reloads(tmp_path, capsys):
    path = tmp_path / "digits.keras"
    accuracy = digits_cnn.main(["--backend", "numpy", "--epochs", "4", "--save", str(path)])
    assert accuracy >= 0.9
    (_, _), (x_test, y_test) = digits_cnn.load_data()
    _, reloaded_accuracy = nnkit.models.load_model(path).evaluate(x_test, y_test, verbose=0)
    assert reloaded_accuracy == pytest.approx(accuracy, abs=1e-7)
    assert "Test accuracy" in capsys.readouterr().out
