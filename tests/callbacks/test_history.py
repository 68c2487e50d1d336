"""History: one list per log key, the epoch indices, model.history."""
import numpy as np

from nnkit.callbacks import History


def test_records_every_key_for_every_epoch(model, fit):
    history = fit(model, [], [{"loss": 1.0, "val_loss": 2.0}, {"loss": 0.5, "val_loss": 1.5},
                              {"loss": 0.25, "val_loss": 1.0}])
    assert isinstance(history, History)
    assert history.epoch == [0, 1, 2]
    assert history.history == {"loss": [1.0, 0.5, 0.25], "val_loss": [2.0, 1.5, 1.0]}


def test_values_are_python_floats_even_from_0d_arrays(model, fit):
    history = fit(model, [], [{"loss": np.array(0.75, dtype=np.float32)}])
    assert history.history["loss"] == [0.75] and type(history.history["loss"][0]) is float


def test_a_key_first_seen_later_starts_its_own_list(model, fit):
    history = fit(model, [], [{"loss": 1.0}, {"loss": 0.5, "val_loss": 0.7}])
    assert history.history == {"loss": [1.0, 0.5], "val_loss": [0.7]}


def test_an_explicit_history_is_used_and_set_on_the_model(model, fit):
    history = History()
    assert fit(model, [history], [{"loss": 1.0}]) is history
    assert model.history is history and history.history == {"loss": [1.0]}
