"""DataParallel and ModelParallel: which mesh, which batch axis, which weight layouts."""
import pytest

from nnkit.distribution import DataParallel, DeviceMesh, LayoutMap, ModelParallel


def test_data_parallel_over_every_device_by_default():
    distribution = DataParallel()
    assert distribution.device_mesh is None and distribution.batch_dim_name == "batch"
    assert distribution.weight_layout("dense/kernel", 2) == (None, None)


def test_data_parallel_over_given_devices_or_a_one_axis_mesh():
    assert DataParallel(devices=["cpu:0", "cpu:1"]).device_mesh.shape == (2,)
    assert DataParallel(device_mesh=DeviceMesh((4,), ("data",))).batch_dim_name == "data"
    with pytest.raises(ValueError, match="one-axis device mesh"):
        DataParallel(device_mesh=DeviceMesh((2, 2), ("batch", "model")))
    with pytest.raises(ValueError, match="device_mesh or devices, not both"):
        DataParallel(device_mesh=DeviceMesh((2,), ("batch",)), devices=["cpu:0", "cpu:1"])


def test_model_parallel_takes_layouts_from_its_map_and_batches_on_the_first_axis():
    layout_map = LayoutMap(DeviceMesh((2, 2), ("data", "model")))
    layout_map["dense/kernel"] = (None, "model")
    distribution = ModelParallel(layout_map=layout_map)
    assert distribution.batch_dim_name == "data" and distribution.device_mesh is layout_map.device_mesh
    assert distribution.weight_layout("dense/kernel", 2) == (None, "model")
    assert distribution.weight_layout("dense/bias", 1) == (None,)
    assert ModelParallel(layout_map=layout_map, batch_dim_name="model").batch_dim_name == "model"


def test_model_parallel_configuration_errors():
    with pytest.raises(ValueError, match="needs layout_map=LayoutMap"):
        ModelParallel()
    layout_map = LayoutMap(DeviceMesh((2,), ("model",)))
    with pytest.raises(ValueError, match=r"batch_dim_name='batch' is not an axis of the mesh \('model',\)"):
        ModelParallel(layout_map=layout_map, batch_dim_name="batch")
