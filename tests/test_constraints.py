"""nnkit.constraints: each projection against a float64 NumPy reference, lookup and configs, Dense's constraint
arguments, and the train step applying constraints after the optimizer update (as Keras 3 does)."""
import numpy as np
import pytest

import nnkit
from gradcheck import backend_params, check_forward
from nnkit import constraints

EPS = 1e-7
RNG = np.random.default_rng(5)
W = RNG.normal(size=(4, 3)) * np.array([0.25, 0.75, 1.5])  # column norms below, inside and above [1, 2]


def ref_norms(w, axis):
    return np.sqrt(np.sum(w**2, axis=axis, keepdims=True))


CASES = {
    "max_norm": (constraints.MaxNorm(max_value=1.5),
                 lambda w: w * np.clip(ref_norms(w, 0), 0, 1.5) / (EPS + ref_norms(w, 0))),
    "max_norm_axis_1": (constraints.MaxNorm(max_value=0.8, axis=1),
                        lambda w: w * np.clip(ref_norms(w, 1), 0, 0.8) / (EPS + ref_norms(w, 1))),
    "non_neg": (constraints.NonNeg(), lambda w: np.maximum(w, 0.0)),
    "unit_norm": (constraints.UnitNorm(), lambda w: w / (EPS + ref_norms(w, 0))),
    "unit_norm_all_axes": (constraints.UnitNorm(axis=[0, 1]), lambda w: w / (EPS + ref_norms(w, (0, 1)))),
    "min_max_norm": (
        constraints.MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.7),
        lambda w: w * (0.7 * np.clip(ref_norms(w, 0), 1.0, 2.0) + 0.3 * ref_norms(w, 0)) / (EPS + ref_norms(w, 0)),
    ),
}


@pytest.mark.parametrize("backend, case", backend_params(CASES, on_jax=lambda name, _: name in ("max_norm", "non_neg")),
                         indirect=["backend"])
def test_constraint_matches_float64_reference(backend, case):
    constraint, reference = case
    check_forward(constraint, reference, W)


def test_references_are_not_degenerate():
    norms = ref_norms(W, 0)
    assert (norms < 1.5).any() and (norms > 2.0).any() and (W < 0).any()


def test_projections_satisfy_their_constraints():
    assert np.all(ref_norms(np.asarray(constraints.MaxNorm(1.0)(W)), 0) <= 1.0 + 1e-6)
    np.testing.assert_allclose(ref_norms(np.asarray(constraints.UnitNorm()(W)), 0), 1.0, rtol=1e-6)
    assert np.asarray(constraints.NonNeg()(W)).min() == 0.0
    assert constraints.Constraint()(W) is W


@pytest.mark.parametrize("name, cls", [
    ("max_norm", constraints.MaxNorm), ("MaxNorm", constraints.MaxNorm), ("non_neg", constraints.NonNeg),
    ("unit_norm", constraints.UnitNorm), ("min_max_norm", constraints.MinMaxNorm),
    ("MinMaxNorm", constraints.MinMaxNorm),
])
def test_get_by_name(name, cls):
    assert type(constraints.get(name)) is cls
    assert getattr(constraints, cls.__name__) is cls


def test_lowercase_aliases_are_the_classes():
    assert constraints.max_norm is constraints.MaxNorm and constraints.non_neg is constraints.NonNeg
    assert constraints.unit_norm is constraints.UnitNorm and constraints.min_max_norm is constraints.MinMaxNorm


@pytest.mark.parametrize("constraint", [CASES[name][0] for name in sorted(CASES)], ids=sorted(CASES))
def test_config_round_trip(constraint):
    config = constraints.serialize(constraint)
    rebuilt = constraints.deserialize(config)
    assert type(rebuilt) is type(constraint) and rebuilt.get_config() == constraint.get_config()
    assert constraints.get(config).get_config() == constraint.get_config()


def test_get_passes_instances_callables_and_none_and_rejects_the_rest():
    constraint = constraints.NonNeg()

    def clip(w):
        return w

    assert constraints.get(constraint) is constraint and constraints.get(clip) is clip
    assert constraints.get(None) is None and constraints.serialize(None) is None
    assert type(constraints.get(constraints.UnitNorm)) is constraints.UnitNorm
    with pytest.raises(ValueError, match="Did you mean 'max_norm'"):
        constraints.get("max_nrm")
    with pytest.raises(ValueError, match="interpret"):
        constraints.get(3)
    assert nnkit.constraints is constraints


def test_keras_config_format():
    assert constraints.serialize(constraints.MaxNorm(3, axis=1)) == {
        "class_name": "MaxNorm", "config": {"max_value": 3, "axis": 1}}
    assert constraints.MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}


# --- Dense and the train step -------------------------------------------------------------------------------------
def test_dense_takes_constraints_and_keeps_them_in_its_config():
    layer = nnkit.layers.Dense(3, kernel_constraint="max_norm", bias_constraint=constraints.NonNeg())
    layer.build((None, 4))
    assert isinstance(layer.kernel.constraint, constraints.MaxNorm)
    assert isinstance(layer.bias.constraint, constraints.NonNeg)
    config = layer.get_config()
    assert config["kernel_constraint"] == {"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}}
    rebuilt = nnkit.layers.Dense.from_config(config)
    assert isinstance(rebuilt.kernel_constraint, constraints.MaxNorm)
    assert isinstance(rebuilt.bias_constraint, constraints.NonNeg)
    assert nnkit.layers.Dense(2).get_config()["kernel_constraint"] is None


@pytest.mark.parametrize("backend_name", ["numpy", "jax"])
def test_fit_projects_constrained_weights_after_every_update(backend_name):
    if backend_name not in nnkit.backends.available_backends():
        pytest.skip(f"{backend_name} is not installed")
    x = RNG.normal(size=(32, 4)).astype("float32")
    y = (x @ RNG.normal(0, 3, (4, 2))).astype("float32")
    nnkit.set_random_seed(1)
    model = nnkit.Sequential([
        nnkit.layers.Input((4,)),
        nnkit.layers.Dense(2, kernel_constraint=constraints.MaxNorm(0.5), bias_constraint="non_neg"),
    ])
    model.compile(optimizer=nnkit.optimizers.SGD(0.1), loss="mse", backend=backend_name)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    kernel, bias = model.get_weights()
    assert np.all(ref_norms(kernel, 0) <= 0.5 + 1e-6)
    assert np.all(bias >= 0.0)


def test_one_step_projects_the_updated_weights_as_keras_does():
    """Keras 3 applies `variable.constraint` to the weights the optimizer update produced: w1 = c(w0 - lr g)."""
    x = RNG.normal(size=(8, 4)).astype("float32")
    y = RNG.normal(size=(8, 3)).astype("float32")
    model = nnkit.Sequential([nnkit.layers.Input((4,)), nnkit.layers.Dense(3, kernel_constraint="unit_norm")])
    model.compile(optimizer=nnkit.optimizers.SGD(0.5), loss="mse", backend="numpy")
    kernel, bias = (host.astype(np.float64) for host in model.get_weights())
    model.train_on_batch(x, y)
    error = x @ kernel + bias - y
    kernel_grad = 2 * x.T @ error / error.size
    stepped = kernel - 0.5 * kernel_grad
    np.testing.assert_allclose(model.get_weights()[0], stepped / (EPS + ref_norms(stepped, 0)), rtol=1e-5, atol=1e-6)
