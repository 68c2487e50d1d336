"""AutocastScope: float Variables with autocast=True read (and report their dtype) as the scope's dtype; the
stored value, integer variables and autocast=False variables are left alone."""
import numpy as np

from nnkit import ops
from nnkit.backends import active
from nnkit.ops.variable import AutocastScope, Variable, autocast_dtype


def test_reads_inside_the_scope_are_cast_and_the_value_kept(backend):
    weight = Variable(np.ones(3, "float32"))
    fixed = Variable(np.ones(3, "float32"), autocast=False)
    steps = Variable(np.zeros((), "int32"))
    with AutocastScope(np.dtype("float16")):
        assert autocast_dtype() == np.dtype("float16")
        assert str(ops.add(weight, 1.0).dtype) == "float16" and str(weight.dtype) == "float16"
        assert str(ops.add(fixed, 1.0).dtype) == "float32"
        assert str(steps.dtype) == "int32"
        weight.assign(ops.add(weight, 1.0))
        with AutocastScope(None):
            assert str(weight.value.dtype) == "float32"
    assert autocast_dtype() is None
    assert str(weight.dtype) == "float32" and weight.numpy().tolist() == [2.0, 2.0, 2.0]


def test_gradient_flows_through_the_autocast_read(backend):
    weight = Variable(np.full(2, 3.0, "float32"))

    def loss(values):
        weight._value = values[0]
        with AutocastScope(np.dtype("float16")):
            return ops.cast(ops.sum(ops.multiply(weight, weight)), "float32"), None

    (grad,) = active.backend.value_and_grad(loss)([active.backend.asarray(np.full(2, 3.0, "float32"))])[1]
    assert str(grad.dtype) == "float32"
    np.testing.assert_allclose(np.asarray(active.backend.to_numpy(grad)), [6.0, 6.0])
