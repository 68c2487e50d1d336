"""The JAX SPMD distribution: a fit over 4 devices (DataParallel, ModelParallel) gives the single-device weights.

JAX fixes its device count when it starts, and this test process has started it with one CPU device, so the
4-device checks run together in one subprocess (jax_sharding_checks.py, 4 host CPU devices) whose results the
tests below read. Multi-host runs (jax.distributed) cannot run here: only each process's share of the rows is
checked, with a pretended process index."""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from nnkit.backends.jax_sharding import ShardedReplicas  # noqa: E402
from nnkit.distribution import DataParallel, DeviceMesh, LayoutMap, ModelParallel  # noqa: E402
from nnkit.ops.variable import Variable  # noqa: E402
from nnkit.backends import get_backend  # noqa: E402

CHECKS = pathlib.Path(__file__).with_name("jax_sharding_checks.py")
TOLERANCE = 1e-5  # largest weight difference relative to the largest weight


@pytest.fixture(scope="module")
def four_devices():
    """The results of jax_sharding_checks.py run on 4 host CPU devices."""
    environment = dict(os.environ, JAX_PLATFORMS="cpu",
                       XLA_FLAGS="--xla_force_host_platform_device_count=4 --xla_backend_optimization_level=0")
    done = subprocess.run([sys.executable, str(CHECKS)], capture_output=True, text=True, env=environment,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_checks_see_four_devices(four_devices):
    assert four_devices["devices"] == ["cpu:0", "cpu:1", "cpu:2", "cpu:3"]


def test_data_parallel_fit_gives_the_single_device_weights(four_devices):
    result = four_devices["data_parallel"]
    assert result["count"] == 4
    assert result["difference"] < TOLERANCE
    np.testing.assert_allclose(*result["loss"], rtol=TOLERANCE)
    np.testing.assert_allclose(*result["val_loss"], rtol=TOLERANCE)


def test_data_parallel_replicates_weights_on_every_device(four_devices):
    assert four_devices["data_parallel"]["kernel"] == {"spec": [None, None], "devices": 4, "shard_shape": [6, 8]}


def test_data_parallel_with_batch_normalization_and_a_short_last_batch(four_devices):
    """Batch statistics over the global batch, as on one device; the 14-row last batch is replicated."""
    assert four_devices["batch_norm"] < TOLERANCE


def test_model_parallel_fit_shards_the_kernel_and_gives_the_single_device_weights(four_devices):
    result = four_devices["model_parallel"]
    assert result["count"] == 2  # the batch axis of the (2, 2) mesh
    assert result["difference"] < TOLERANCE
    np.testing.assert_allclose(*result["val_loss"], rtol=TOLERANCE)
    assert result["kernel"] == {"spec": [None, "model"], "devices": 4, "shard_shape": [6, 4]}
    assert result["head"] == {"spec": [], "devices": 4, "shard_shape": [8, 4]}  # stays replicated after training


def test_evaluate_and_predict_under_data_parallel(four_devices):
    single, parallel = four_devices["evaluate"]
    np.testing.assert_allclose(parallel, single, rtol=TOLERANCE)
    assert four_devices["predict"] < 1e-6


def test_set_distribution_is_the_default_and_batch_size_must_split_over_devices(four_devices):
    assert four_devices["set_distribution_count"] == 4
    assert "batch_size=6" in four_devices["indivisible"] and "divisible by the 4 devices" in four_devices["indivisible"]


# --- in this process (one device) ---------------------------------------------------------------------
def test_each_process_trains_on_its_contiguous_share_of_every_global_batch():
    replicas = ShardedReplicas(DataParallel())
    rows = np.arange(24, dtype=np.int32).reshape(3, 8)
    replicas.process_count, replicas.process_index = 2, 1  # as jax.distributed would set them on host 1
    np.testing.assert_array_equal(replicas.local_rows(rows), rows[:, 4:])
    replicas.process_index = 0
    np.testing.assert_array_equal(replicas.local_rows(rows), rows[:, :4])
    with pytest.raises(ValueError, match="batch of 7 samples cannot be split evenly over 2 processes"):
        replicas.local_rows(rows[:, :7])


def test_one_process_is_chief_and_takes_every_row():
    replicas = ShardedReplicas(DataParallel())
    rows = np.arange(6).reshape(2, 3)
    assert replicas.is_chief and replicas.process_count == 1
    np.testing.assert_array_equal(replicas.local_rows(rows), rows)


def test_a_mesh_needing_more_devices_than_jax_has_is_a_clear_error():
    count = len(jax.devices())
    with pytest.raises(ValueError, match=rf"needs {count + 1} devices, but JAX has {count}"):
        ShardedReplicas(DataParallel(device_mesh=DeviceMesh((count + 1,), ("batch",))))


def test_unknown_device_names_are_a_clear_error():
    with pytest.raises(ValueError, match=r"Unknown device 'tpu:99'; JAX has \['"):
        ShardedReplicas(DataParallel(devices=["tpu:99"]))


def test_a_weight_that_does_not_split_over_its_mesh_axis_is_a_clear_error():
    layout_map = LayoutMap(DeviceMesh((1,), ("model",), devices=jax.devices()[:1]))
    layout_map["dense/kernel"] = (None, "model")
    replicas = ShardedReplicas(ModelParallel(layout_map=layout_map))
    kernel = Variable(np.zeros((3, 5), np.float32), name="kernel", backend=get_backend("jax"))
    kernel.path = "dense/kernel"
    replicas.place_weights([kernel])  # a one-device axis splits any size
    assert kernel.value.sharding.spec == jax.sharding.PartitionSpec(None, "model")
    replicas.mesh = _pretend_mesh({"model": 2})
    with pytest.raises(ValueError, match=r"'dense/kernel' of shape \(3, 5\) cannot be sharded as \(None, 'model'\): "
                                         r"5 is not divisible by the 2 devices of mesh axis 'model'"):
        replicas.weight_sharding("dense/kernel", (3, 5))


def _pretend_mesh(shape):
    """An object with a mesh's `shape` mapping, enough for the divisibility check."""
    return type("PretendMesh", (), {"shape": shape})()


def test_the_jax_backend_lists_its_devices_by_name():
    names = [f"{device.platform}:{device.id}" for device in jax.devices()]
    assert get_backend("jax").list_devices() == names
    assert get_backend("jax").list_devices("no_such_platform") == []
    assert ShardedReplicas(DataParallel(devices=names[:1])).mesh.devices.tolist() == jax.devices()[:1]
