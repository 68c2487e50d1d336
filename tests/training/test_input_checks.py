"""Bad input to fit/evaluate/predict is a clear error naming the argument, the expected and the received value,
raised before any step: the weights and the optimizer state are exactly as they were."""
import numpy as np
import pytest

import nnkit
from nnkit import layers
from nnkit.backends import available_backends
from nnkit.training import input_checks

BACKENDS = available_backends()
X = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
Y = np.array([0, 1, 2, 0, 1, 2, 0, 1])


def _classifier(backend, optimizer="adam"):
    model = nnkit.Sequential([layers.Input((3,)), layers.Dense(4, activation="relu"),
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"], backend=backend)
    return model


@pytest.fixture(scope="module", params=BACKENDS)
def trained(request):
    """A classifier trained one epoch on each backend (weights and optimizer state exist)."""
    model = _classifier(request.param)
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0)
    return model


def _snapshot(model):
    return [w.copy() for w in model.get_weights()], [np.array(v) for v in model.optimizer.variables]


def _assert_unchanged(model, snapshot):
    weights, optimizer_state = _snapshot(model)
    for before, after in zip(snapshot[0] + snapshot[1], weights + optimizer_state):
        np.testing.assert_array_equal(after, before)


def _with(array, index, value):
    changed = np.array(array, dtype=np.result_type(array, type(value)))
    changed[index] = value
    return changed


BAD_CALLS = {
    # silent before: nothing trained, or trained on garbage
    "fit on 0 samples": (lambda m: m.fit(X[:0], Y[:0], verbose=0), ValueError, r"fit\(\) received 0 samples"),
    "evaluate on 0 samples": (lambda m: m.evaluate(X[:0], Y[:0], verbose=0), ValueError,
                              r"evaluate\(\) received 0 samples"),
    "predict on 0 samples": (lambda m: m.predict(X[:0], verbose=0), ValueError, r"predict\(\) received 0 samples"),
    "batch_size=-1": (lambda m: m.fit(X, Y, batch_size=-1, verbose=0), ValueError, r"batch_size.*>= 1.*-1"),
    "label 12 of 3 classes": (lambda m: m.fit(X, _with(Y, 5, 12), verbose=0), ValueError,
                              r"label 12 at index \(5,\) is out of range.*\[0, 2\]"),
    "label -1": (lambda m: m.evaluate(X, _with(Y, 2, -1), verbose=0), ValueError,
                 r"label -1 at index \(2,\) is out of range"),
    "label 1.7": (lambda m: m.fit(X, _with(Y, 3, 1.7), verbose=0), ValueError,
                  r"label 1.7 at index \(3,\) is not an integer"),
    "label NaN": (lambda m: m.fit(X, _with(Y, 4, np.nan), verbose=0), ValueError,
                  r"`y` contains a non-finite value \(nan\) at index \(4,\)"),
    "NaN in x": (lambda m: m.fit(_with(X, (6, 1), np.nan), Y, verbose=0), ValueError,
                 r"`x` contains a non-finite value \(nan\) at index \(6, 1\)"),
    "inf in sample_weight": (lambda m: m.fit(X, Y, sample_weight=_with(np.ones(8), 7, np.inf), verbose=0),
                             ValueError, r"`sample_weight` contains a non-finite value \(inf\) at index \(7,\)"),
    "NaN in validation_data": (lambda m: m.fit(X, Y, validation_data=(_with(X, (0, 0), np.nan), Y), verbose=0),
                               ValueError, r"`x` contains a non-finite value"),
    # unclear before
    "string labels": (lambda m: m.fit(X, np.array(list("abcabcab")), verbose=0), TypeError,
                      r"y .*must hold numbers.*<U1"),
    "x=None": (lambda m: m.fit(None, Y, verbose=0), ValueError, r"fit\(\) needs `x`.*received x=None"),
    "y a string": (lambda m: m.fit(X, "abc", verbose=0), TypeError, r"y .*must hold numbers.*'abc'"),
    "batch_size=16.5": (lambda m: m.fit(X, Y, batch_size=16.5, verbose=0), TypeError,
                        r"`batch_size` must be an integer.*16.5 \(float\)"),
    "epochs=2.5": (lambda m: m.fit(X, Y, epochs=2.5, verbose=0), TypeError, r"`epochs` must be an integer.*2.5"),
    "epochs='3'": (lambda m: m.fit(X, Y, epochs="3", verbose=0), TypeError, r"`epochs`.*'3' \(str\)"),
    "validation_freq=0": (lambda m: m.fit(X, Y, validation_split=0.25, validation_freq=0, verbose=0), ValueError,
                          r"`validation_freq` must be an integer >= 1.*validation_freq=0"),
    "class_weight with string keys": (lambda m: m.fit(X, Y, class_weight={"a": 2.0}, verbose=0), TypeError,
                                      r"`class_weight`.*integer class indices.*'a' \(str\)"),
    "ragged list": (lambda m: m.fit([[1.0, 2.0, 3.0], [1.0, 2.0]], [0, 1], verbose=0), TypeError,
                    r"x .*rectangular.*lengths \[2, 3\]"),
    "two arrays for one input": (lambda m: m.fit([X, X], Y, verbose=0), ValueError,
                                 r"takes 1 array.*list of 2 arrays.*\(8, 3\)"),
    "complex x": (lambda m: m.fit(X + 1j, Y, verbose=0), TypeError, r"x .*real-valued.*complex"),
    "string sample_weight": (lambda m: m.fit(X, Y, sample_weight=np.array(["a"] * 8), verbose=0), TypeError,
                             r"sample_weight must hold numbers"),
}


@pytest.mark.parametrize("case", list(BAD_CALLS))
def test_bad_input_is_a_clear_error_that_changes_nothing(trained, case):
    call, error, message = BAD_CALLS[case]
    before = _snapshot(trained)
    with pytest.raises(error, match=message):
        call(trained)
    _assert_unchanged(trained, before)


def test_sparse_labels_may_use_the_ignored_class():
    model = nnkit.Sequential([layers.Input((3,)), layers.Dense(3, activation="softmax")])
    model.compile("sgd", nnkit.losses.SparseCategoricalCrossentropy(ignore_class=-1), backend="numpy")
    model.fit(X, _with(Y, 0, -1), verbose=0)
    with pytest.raises(ValueError, match=r"label -2 .*out of range.*or ignore_class=-1"):
        model.fit(X, _with(Y, 0, -2), verbose=0)


def test_one_hot_labels_are_not_range_checked():
    model = nnkit.Sequential([layers.Input((3,)), layers.Dense(3, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy", backend="numpy")
    model.fit(X, np.eye(3, dtype="float32")[Y] * 5.0, verbose=0)  # soft/scaled targets are a choice, not an error


def test_value_checks_can_be_skipped_for_huge_data(monkeypatch):
    model = _classifier("numpy")
    input_checks.set_value_checks(False)
    try:
        model.fit(X, _with(Y, 0, 7), verbose=0)  # unchecked: the caller vouches for the data
    finally:
        input_checks.set_value_checks(True)
    assert input_checks.value_checks_enabled()


def test_check_finite_reports_the_array_and_its_first_bad_index():
    x = np.zeros((3, 4), np.float32)
    x[2, 3], x[1, 0] = np.inf, -np.inf
    with pytest.raises(ValueError, match=r"`x\[1\]` contains a non-finite value \(-inf\) at index \(1, 0\)"):
        input_checks.check_finite([np.zeros(2, np.float32), x], "x")
    input_checks.check_finite([np.arange(3), np.ones(2, np.float32)], "x")  # integers and finite floats pass


def test_ragged_detail_finds_the_uneven_depth():
    assert input_checks.ragged_detail([[[1, 2], [3]], [[4, 5], [6, 7]]]) == \
        "the sequences at depth 2 have different lengths [1, 2]"
    assert input_checks.ragged_detail([[1, 2], [3, 4]]) == ""


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_one_optimizer_for_two_models_is_refused_at_compile(backend_name):
    optimizer = nnkit.optimizers.Adam()
    first = _classifier(backend_name, optimizer)
    first.compile(optimizer, "sparse_categorical_crossentropy", backend=backend_name)  # the same model again: fine
    with pytest.raises(ValueError, match=r"already used by model '" + first.name + "'.*needs its own"):
        _classifier(backend_name, optimizer)


@pytest.mark.skipif("jax" not in BACKENDS, reason="needs a second backend")
def test_a_layer_shared_across_backends_is_a_clear_error():
    shared = layers.Dense(3, activation="softmax")
    on_numpy = nnkit.Sequential([layers.Input((3,)), shared])
    on_numpy.compile("adam", "sparse_categorical_crossentropy", backend="numpy")
    on_numpy.fit(X, Y, verbose=0)
    on_jax = nnkit.Sequential([layers.Input((3,)), shared])
    on_jax.compile("adam", "sparse_categorical_crossentropy", backend="jax")
    before = _snapshot(on_numpy)
    with pytest.raises(ValueError, match=r"compiled for the numpy backend, but its weight .*kernel.* lives on the "
                                         r"jax backend"):
        on_numpy.fit(X, Y, verbose=0)
    _assert_unchanged(on_numpy, before)
