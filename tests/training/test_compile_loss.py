"""CompileLoss: compile(loss=..., loss_weights=...) resolved against the model's outputs (one value for all,
a list in output order, a dict by output name), the weighted total and per-output values checked against
NumPy, and the errors for specs that do not fit the model. Runs on each installed backend."""
import numpy as np
import pytest

from nnkit import losses
from nnkit.training.compile_loss import CompileLoss

RNG = np.random.default_rng(3)
T1 = RNG.standard_normal((6, 1)).astype("float32")
P1 = RNG.standard_normal((6, 1)).astype("float32")
T2 = RNG.standard_normal((6, 4)).astype("float32")
P2 = RNG.standard_normal((6, 4)).astype("float32")
MSE1 = np.mean((T1 - P1) ** 2)
MAE2 = np.mean(np.abs(T2 - P2))
MSE2 = np.mean((T2 - P2) ** 2)


def _run(compile_loss, backend, targets, predictions, sample_weight=None):
    convert = backend.asarray
    total, parts = compile_loss([convert(t) for t in targets], [convert(p) for p in predictions],
                                None if sample_weight is None else convert(sample_weight))
    return float(backend.to_numpy(total)), [float(backend.to_numpy(p)) for p in parts]


def test_one_output_one_loss(backend):
    compile_loss = CompileLoss("mse", None, ["out"])
    assert compile_loss.names == []  # a single output reports only `loss`
    total, parts = _run(compile_loss, backend, [T1], [P1])
    assert total == pytest.approx(MSE1, rel=1e-6)
    assert parts == pytest.approx([MSE1], rel=1e-6)


@pytest.mark.parametrize("loss", ["mse", "mean_squared_error", losses.mean_squared_error, losses.MeanSquaredError()],
                         ids=["alias", "name", "function", "instance"])
def test_losses_by_name_function_or_instance(backend, loss):
    compile_loss = CompileLoss(loss, None, ["out"])
    assert isinstance(compile_loss.losses[0], losses.Loss)
    assert _run(compile_loss, backend, [T1], [P1])[0] == pytest.approx(MSE1, rel=1e-6)


def test_a_custom_loss_function_is_wrapped(backend):
    def doubled_mse(y_true, y_pred):
        from nnkit import ops

        return ops.multiply(2.0, ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1))

    compile_loss = CompileLoss(doubled_mse, None, ["out"])
    assert compile_loss.losses[0].name == "doubled_mse"
    assert _run(compile_loss, backend, [T1], [P1])[0] == pytest.approx(2 * MSE1, rel=1e-6)


def test_one_loss_applies_to_every_output(backend):
    compile_loss = CompileLoss("mse", None, ["a", "b"])
    assert compile_loss.names == ["a_loss", "b_loss"]
    total, parts = _run(compile_loss, backend, [T1, T2], [P1, P2])
    assert parts == pytest.approx([MSE1, MSE2], rel=1e-6)
    assert total == pytest.approx(MSE1 + MSE2, rel=1e-6)


@pytest.mark.parametrize("loss, weights", [
    (["mse", "mae"], [2.0, 0.5]),
    ({"b": "mae", "a": "mse"}, {"b": 0.5, "a": 2.0}),
], ids=["lists", "dicts"])
def test_losses_and_weights_per_output(backend, loss, weights):
    compile_loss = CompileLoss(loss, weights, ["a", "b"])
    assert compile_loss.weights == [2.0, 0.5]
    total, parts = _run(compile_loss, backend, [T1, T2], [P1, P2])
    assert parts == pytest.approx([MSE1, MAE2], rel=1e-6)
    assert total == pytest.approx(2.0 * MSE1 + 0.5 * MAE2, rel=1e-6)


def test_a_dict_may_leave_outputs_without_a_loss_or_weight(backend):
    compile_loss = CompileLoss({"b": "mae"}, {"b": 3.0}, ["a", "b"])
    assert compile_loss.names == ["b_loss"]
    total, parts = _run(compile_loss, backend, [T1, T2], [P1, P2])
    assert parts == pytest.approx([MAE2], rel=1e-6)
    assert total == pytest.approx(3.0 * MAE2, rel=1e-6)
    assert CompileLoss(["mse", "mae"], {"a": 4.0}, ["a", "b"]).weights == [4.0, 1.0]


def test_sample_weight_reaches_every_output_loss(backend):
    weights = np.array([0.0, 1.0, 2.0, 0.0, 1.0, 3.0], "float32")
    compile_loss = CompileLoss(["mse", "mae"], None, ["a", "b"])
    total, parts = _run(compile_loss, backend, [T1, T2], [P1, P2], weights)
    expected = [np.sum(weights * np.mean((T1 - P1) ** 2, axis=-1)) / 6,
                np.sum(weights * np.mean(np.abs(T2 - P2), axis=-1)) / 6]
    assert parts == pytest.approx(expected, rel=1e-5)
    assert total == pytest.approx(sum(expected), rel=1e-5)


def test_no_loss_at_all_gives_no_total(backend):
    """compile() without a loss is allowed (models trained on add_loss terms); the step then needs those."""
    assert CompileLoss(None, None, ["out"])([backend.asarray(T1)], [backend.asarray(P1)]) == (None, [])
    assert CompileLoss({"a": None}, None, ["a", "b"]).losses == [None, None]


def test_a_list_of_the_wrong_length_names_the_outputs():
    with pytest.raises(ValueError, match=r"3 entries.*2 outputs \['a', 'b'\]"):
        CompileLoss(["mse", "mse", "mse"], None, ["a", "b"])
    with pytest.raises(ValueError, match="loss_weights"):
        CompileLoss("mse", [1.0], ["a", "b"])


def test_a_dict_naming_unknown_outputs_is_an_error():
    with pytest.raises(ValueError, match=r"\['c'\].*\['a', 'b'\]"):
        CompileLoss({"c": "mse"}, None, ["a", "b"])
    with pytest.raises(ValueError, match="loss_weights"):
        CompileLoss("mse", {"z": 1.0}, ["a", "b"])


def test_an_unknown_loss_name_is_an_error():
    with pytest.raises(ValueError, match="mean_squard_error"):
        CompileLoss("mean_squard_error", None, ["out"])
