"""Host-side data handling: conversion to NumPy (float data in floatx, backend arrays passed through),
naming of multi-input data, sample-count checks, class weights, the validation split (the tail) and batching
(in order, or shuffled into a permutation)."""
import numpy as np
import pytest

from nnkit.training.data_adapter import (ArrayData, as_host_array, check_lengths, class_weights_to_sample_weights,
                                         flatten_named)


# --- conversion ------------------------------------------------------------------------------------------
def test_float_data_becomes_floatx_and_integers_stay_integers():
    assert as_host_array(np.zeros((2, 3), np.float64), "x").dtype == np.float32
    assert as_host_array([[1.5, 2.0]], "x").dtype == np.float32
    assert as_host_array(np.array([True, False]), "x").dtype == np.float32
    assert as_host_array(np.array([1, 2, 3]), "y").dtype.kind == "i"
    np.testing.assert_array_equal(as_host_array([[1, 2], [3, 4]], "x"), [[1, 2], [3, 4]])


def test_ragged_or_non_numeric_data_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="'features'"):
        as_host_array([[1.0, 2.0], [3.0]], "'features'")
    with pytest.raises(TypeError, match="y"):
        as_host_array([{"a": 1}, {"b": 2}], "y")


def test_arrays_of_the_model_backend_pass_through_untouched(backend):
    array = backend.asarray(np.ones((2, 2), np.float32))
    assert as_host_array(array, "x", keep=backend.is_array) is array


def test_flatten_named_orders_dicts_by_name_and_checks_them():
    a, b = np.zeros((4, 1)), np.ones((4, 2))
    flat = flatten_named({"second": b, "first": a}, ["first", "second"], "x")
    assert [array.shape for array in flat] == [(4, 1), (4, 2)]
    with pytest.raises(ValueError, match=r"\['first', 'third'\].*\['first', 'second'\]"):
        flatten_named({"first": a, "third": b}, ["first", "second"], "x")


def test_flatten_named_takes_lists_for_several_names_and_a_single_array_for_one():
    flat = flatten_named([np.zeros(3), np.ones(3)], ["a", "b"], "x")
    assert len(flat) == 2
    assert len(flatten_named([[1.0, 2.0], [3.0, 4.0]], ["only"], "x")) == 1  # a nested list is one array
    assert flatten_named(None, ["a"], "y") is None
    with pytest.raises(ValueError, match="expects 2 array"):
        flatten_named([np.zeros(3)] * 3, ["a", "b"], "x")


def test_check_lengths_names_every_array_and_its_count():
    assert check_lengths({"x": [np.zeros((5, 2))], "y": [np.zeros(5)], "sample_weight": None}) == 5
    with pytest.raises(ValueError) as info:
        check_lengths({"x": [np.zeros((5, 2)), np.zeros((5, 1))], "y": [np.zeros(4)]})
    message = str(info.value)
    assert "'x[0]': 5" in message and "'x[1]': 5" in message and "'y': 4" in message


# --- class weights ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("labels", [
    np.array([0, 1, 2, 1]),
    np.array([0.0, 1.0, 2.0, 1.0], np.float32),
    np.array([[0], [1], [2], [1]]),
    np.eye(3, dtype=np.float32)[[0, 1, 2, 1]],
], ids=["int", "float", "column", "one_hot"])
def test_class_weights_become_per_sample_weights(labels):
    weights = class_weights_to_sample_weights(labels, {0: 0.5, 1: 2.0, 2: 4.0})
    np.testing.assert_allclose(weights, [0.5, 2.0, 4.0, 2.0])
    assert weights.dtype == np.float32


def test_classes_without_a_class_weight_weigh_one():
    np.testing.assert_allclose(class_weights_to_sample_weights(np.array([0, 3, 1]), {1: 5.0}), [1.0, 1.0, 5.0])


# --- ArrayData -------------------------------------------------------------------------------------------
def _data(size=10, with_weights=True):
    x = np.arange(size * 2, dtype=np.float32).reshape(size, 2)
    y = np.arange(size, dtype=np.float32)
    weights = np.linspace(0.0, 1.0, size).astype(np.float32) if with_weights else None
    return ArrayData([x], [y], weights)


def test_array_data_rejects_different_sample_counts():
    with pytest.raises(ValueError, match="different numbers of samples"):
        ArrayData([np.zeros((4, 2))], [np.zeros(3)])
    with pytest.raises(ValueError, match="sample_weight"):
        ArrayData([np.zeros((4, 2))], [np.zeros(4)], np.ones(5))


def test_validation_split_takes_the_tail_with_its_sample_weights():
    data = _data(10)
    train, validation = data.split(0.2)
    assert train.size == 8 and validation.size == 2
    np.testing.assert_array_equal(train.y[0], np.arange(8))
    np.testing.assert_array_equal(validation.y[0], [8, 9])
    np.testing.assert_array_equal(validation.x[0], data.x[0][8:])
    np.testing.assert_array_equal(validation.sample_weight, data.sample_weight[8:])


def test_validation_split_cuts_like_keras_floor():
    train, validation = _data(10).split(0.25)  # int(10 * 0.75) = 7
    assert (train.size, validation.size) == (7, 3)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_validation_split_outside_zero_one_is_an_error(fraction):
    with pytest.raises(ValueError, match="validation_split"):
        _data().split(fraction)


def test_a_split_that_leaves_one_side_empty_is_an_error():
    with pytest.raises(ValueError, match="no samples"):
        _data(1).split(0.5)


def test_batches_in_order_with_a_short_last_batch():
    data = _data(10)
    assert data.steps(4) == 3
    batches = list(data.batches(4))
    assert [len(y[0]) for _, y, _ in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([y[0] for _, y, _ in batches]), np.arange(10))
    np.testing.assert_array_equal(np.concatenate([w for _, _, w in batches]), data.sample_weight)


def test_shuffled_batches_are_a_permutation_that_keeps_samples_together():
    data = _data(10)
    rng = np.random.default_rng(0)
    first = list(data.batches(3, shuffle=True, rng=rng))
    second = list(data.batches(3, shuffle=True, rng=rng))
    order = np.concatenate([y[0] for _, y, _ in first]).astype(int)
    assert sorted(order) == list(range(10)) and list(order) != list(range(10))
    for x, y, w in first:  # x, y and the sample weights stay aligned
        np.testing.assert_array_equal(x[0][:, 0], 2 * y[0])
        np.testing.assert_allclose(w, y[0] / 9.0, rtol=1e-6)
    assert list(np.concatenate([y[0] for _, y, _ in second]).astype(int)) != list(order)  # a new order per epoch


def test_shuffling_is_reproducible_from_the_seed():
    data = _data(12)
    one = [y[0] for _, y, _ in data.batches(5, shuffle=True, rng=np.random.default_rng(3))]
    two = [y[0] for _, y, _ in data.batches(5, shuffle=True, rng=np.random.default_rng(3))]
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_data_without_targets_yields_none():
    data = ArrayData([np.zeros((3, 2))])
    (x, y, w), = list(data.batches(5))
    assert x[0].shape == (3, 2) and y is None and w is None


def test_indices_are_slices_in_order_or_a_fresh_int32_permutation():
    data = _data(10)
    in_order = list(data.indices(4))
    assert in_order == [slice(0, 4), slice(4, 8), slice(8, 12)]
    shuffled = list(data.indices(4, shuffle=True, rng=np.random.default_rng(1)))
    assert [len(index) for index in shuffled] == [4, 4, 2]
    assert all(index.dtype == np.int32 for index in shuffled)
    assert sorted(np.concatenate(shuffled)) == list(range(10))


def test_batch_gathers_the_samples_at_an_index():
    data = _data(10)
    x, y, w = data.batch(np.array([7, 2], np.int32))
    np.testing.assert_array_equal(y[0], [7, 2])
    np.testing.assert_array_equal(x[0], data.x[0][[7, 2]])
    np.testing.assert_array_equal(w, data.sample_weight[[7, 2]])
    for index, (bx, by, bw) in zip(data.indices(3), data.batches(3)):  # batches() is batch() over indices()
        np.testing.assert_array_equal(by[0], data.batch(index)[1][0])


@pytest.mark.parametrize("shuffle", [False, True])
def test_index_rows_hold_the_same_batches_as_indices(shuffle):
    """The device-resident path of fit trains on index_rows(); it must be the very batches of indices()."""
    data = _data(11)
    rows = data.index_rows(4, shuffle, np.random.default_rng(2))
    assert [m.shape for m in rows] == [(2, 4), (1, 3)] and all(m.dtype == np.int32 for m in rows)
    expected = [np.arange(11)[i] for i in data.indices(4, shuffle, np.random.default_rng(2))]
    np.testing.assert_array_equal(np.concatenate([m.ravel() for m in rows]), np.concatenate(expected))
    assert [m.shape for m in data.index_rows(4)[:1]] == [(2, 4)] and len(_data(8).index_rows(4)) == 1
