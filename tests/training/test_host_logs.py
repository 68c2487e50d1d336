"""Vector-valued metrics (F1Score's per-class scores by default) come back from fit, evaluate and
train_on_batch as NumPy arrays, and print in the progress bar, as Keras reports them; scalars stay floats."""
import numpy as np

import nnkit
from nnkit import layers


def test_per_class_f1_scores_are_reported_as_arrays(backend, capsys):
    rng = np.random.default_rng(0)
    x = rng.random((32, 4), dtype=np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 32)]
    model = nnkit.Sequential([nnkit.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy", metrics=["f1_score"], backend=backend.name)
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=2, validation_data=(x, y))
    assert history.history["f1_score"][0].shape == (3,)
    assert history.history["val_f1_score"][0].shape == (3,)
    assert isinstance(history.history["loss"][0], float)
    evaluated = model.evaluate(x, y, verbose=0, return_dict=True)
    np.testing.assert_allclose(evaluated["f1_score"], model.train_on_batch(x, y, return_dict=True)["f1_score"],
                               rtol=1e-5)
    assert "f1_score: [" in capsys.readouterr().out
