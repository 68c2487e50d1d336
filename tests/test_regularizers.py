"""nnkit.regularizers: penalties against float64 NumPy references, finite-difference gradients on every
backend, argument validation, and lookup/serialization by every kind of identifier."""
import numpy as np
import pytest

from gradcheck import check_float32, check_forward, check_gradients, to_host
from nnkit import regularizers

# A 4x3 weight with no zero entries (|x| has a kink at 0) and distinct, non-orthogonal rows/columns.
W = np.array([[0.8, -1.3, 0.45], [-0.6, 0.9, 1.7], [1.1, 0.35, -0.75], [-0.25, -1.9, 0.55]])


def _orthogonal_reference(x, factor, mode):
    """factor/2 * mean over distinct pairs of |cos| between the rows (or columns) of x."""
    vectors = x if mode == "rows" else x.T
    n = vectors.shape[0]
    total = 0.0
    for i in range(n):
        for j in range(n):
            if i != j:
                u, v = vectors[i], vectors[j]
                total += abs(u @ v) / (np.linalg.norm(u) * np.linalg.norm(v))
    return factor * 0.5 * total / (n * (n - 1) / 2)


CASES = {
    "l1": (regularizers.L1(0.03), lambda x: 0.03 * np.abs(x).sum()),
    "l2": (regularizers.L2(0.2), lambda x: 0.2 * (x**2).sum()),
    "l1_l2": (regularizers.L1L2(l1=0.03, l2=0.2), lambda x: 0.03 * np.abs(x).sum() + 0.2 * (x**2).sum()),
    "l1_l2_only_l2": (regularizers.L1L2(l2=0.5), lambda x: 0.5 * (x**2).sum()),
    "orthogonal_rows": (regularizers.OrthogonalRegularizer(0.1), lambda x: _orthogonal_reference(x, 0.1, "rows")),
    "orthogonal_columns": (
        regularizers.OrthogonalRegularizer(0.3, mode="columns"),
        lambda x: _orthogonal_reference(x, 0.3, "columns"),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_penalty_matches_float64_reference(backend, name):
    regularizer, ref = CASES[name]
    check_forward(regularizer, ref, W)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_finite_differences(backend, name):
    regularizer, _ = CASES[name]
    check_gradients(regularizer, W)


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_weight_gives_float32_penalty(backend, name):
    regularizer, _ = CASES[name]
    check_float32(regularizer, W)


def test_keras_defaults():
    assert regularizers.L1().l1 == 0.01
    assert regularizers.L2().l2 == 0.01
    assert (regularizers.L1L2().l1, regularizers.L1L2().l2) == (0.0, 0.0)
    assert regularizers.L1(None).l1 == 0.01
    assert regularizers.L1L2(l1=None, l2=0.1).l1 == 0.0
    assert regularizers.OrthogonalRegularizer().get_config() == {"factor": 0.01, "mode": "rows"}


def test_zero_penalty_is_a_scalar_of_the_weight_dtype(backend):
    weight = backend.asarray(W.astype(np.float32))
    for penalty in (regularizers.L1L2()(weight), regularizers.OrthogonalRegularizer()(weight[:1])):
        host = to_host(penalty)
        assert host.shape == () and host.dtype == np.float32 and host == 0.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: regularizers.L1(-0.1),
        lambda: regularizers.L2(float("nan")),
        lambda: regularizers.L1L2(l1="0.1"),
        lambda: regularizers.L2(True),
        lambda: regularizers.OrthogonalRegularizer(mode="diagonal"),
        lambda: regularizers.OrthogonalRegularizer(factor=float("inf")),
    ],
)
def test_invalid_arguments_raise(make):
    with pytest.raises(ValueError):
        make()


def test_orthogonal_needs_a_matrix(backend):
    with pytest.raises(ValueError, match=r"2-D.*\(2, 3, 4\)"):
        regularizers.OrthogonalRegularizer()(backend.asarray(np.ones((2, 3, 4))))


def test_orthogonal_is_zero_for_orthogonal_rows(backend):
    penalty = regularizers.OrthogonalRegularizer(1.0)(backend.asarray(np.diag([2.0, -3.0, 0.5])))
    assert abs(float(to_host(penalty))) < 1e-12


# --- lookup and serialization ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, cls",
    [
        ("l1", regularizers.L1), ("l2", regularizers.L2), ("l1_l2", regularizers.L1L2),
        ("L1", regularizers.L1), ("L2", regularizers.L2), ("L1L2", regularizers.L1L2),
        ("orthogonal_regularizer", regularizers.OrthogonalRegularizer),
        ("OrthogonalRegularizer", regularizers.OrthogonalRegularizer),
    ],
)
def test_get_by_name_gives_a_default_instance(name, cls):
    regularizer = regularizers.get(name)
    assert type(regularizer) is cls
    assert regularizer.get_config() == cls().get_config()


def test_get_passes_instances_and_callables_and_none_through():
    instance = regularizers.L2(0.3)

    def custom(x):
        return 0.0

    assert regularizers.get(instance) is instance
    assert regularizers.get(custom) is custom
    assert regularizers.get(None) is None
    assert type(regularizers.get(regularizers.L1)) is regularizers.L1


@pytest.mark.parametrize(
    "config",
    [
        {"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}},
        {"module": "keras.regularizers", "class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2},
         "registered_name": None},
    ],
)
def test_get_keras_config_dict(config):
    regularizer = regularizers.get(config)
    assert type(regularizer) is regularizers.L1L2
    assert regularizer.get_config() == {"l1": 0.1, "l2": 0.2}


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_round_trips(backend, name):
    regularizer, _ = CASES[name]
    for rebuilt in (
        type(regularizer).from_config(regularizer.get_config()),
        regularizers.deserialize(regularizers.serialize(regularizer)),
        regularizers.get(regularizers.serialize(regularizer)),
    ):
        assert type(rebuilt) is type(regularizer)
        assert rebuilt.get_config() == regularizer.get_config()
        weight = backend.asarray(W)
        assert float(to_host(rebuilt(weight))) == float(to_host(regularizer(weight)))


def test_serialize_form():
    assert regularizers.serialize(regularizers.L2(0.5)) == {"class_name": "L2", "config": {"l2": 0.5}}
    assert regularizers.serialize(None) is None
    with pytest.raises(ValueError):
        regularizers.serialize(lambda x: 0.0)


def test_unknown_name_suggests_close_matches_and_lists_valid_names():
    with pytest.raises(ValueError) as error:
        regularizers.get("l1_l3")
    message = str(error.value)
    assert "'l1_l3'" in message and "Did you mean" in message and "'l1_l2'" in message
    assert "orthogonal_regularizer" in message


@pytest.mark.parametrize("bad", [3.0, {"config": {}}, {"class_name": "L3", "config": {}}])
def test_uninterpretable_identifiers_raise(bad):
    with pytest.raises(ValueError):
        regularizers.get(bad)


def test_keras_lowercase_aliases_are_the_classes():
    assert regularizers.l1 is regularizers.L1 and regularizers.l2 is regularizers.L2
    assert regularizers.l1_l2 is regularizers.L1L2
    assert regularizers.orthogonal_regularizer is regularizers.OrthogonalRegularizer
    assert regularizers.l2(0.1).l2 == 0.1
