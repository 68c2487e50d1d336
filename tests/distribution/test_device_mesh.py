"""DeviceMesh: devices in a grid of named axes."""
import pytest

from nnkit.distribution import DeviceMesh


def test_a_mesh_knows_its_axes():
    mesh = DeviceMesh((2, 4), ("batch", "model"), devices=[f"cpu:{i}" for i in range(8)])
    assert mesh.axis_size("model") == 4 and mesh.axis_size("batch") == 2
    assert mesh.devices[-1] == "cpu:7"
    assert DeviceMesh([4], ["batch"]).devices is None  # every device, resolved by the backend


@pytest.mark.parametrize("shape, names, devices, message", [
    ((0,), ("batch",), None, r"shape must be a tuple of positive ints, received \(0,\)"),
    ((2, 2), ("batch",), None, r"one distinct axis name per mesh axis: shape \(2, 2\), received axis_names"),
    ((2, 2), ("x", "x"), None, "one distinct axis name"),
    ((2, 2), ("batch", "model"), ["cpu:0"], "needs 4 devices, received 1"),
])
def test_bad_meshes_are_clear_errors(shape, names, devices, message):
    with pytest.raises(ValueError, match=message):
        DeviceMesh(shape, names, devices)
