"""SPMD replicas for the JAX backend: weights and batches placed on a jax.sharding mesh, so that one jitted
train step runs on every device and XLA inserts the collectives (the gradient all-reduce, sharded matmuls).

The step sees global arrays: gradients, layer state and metrics come out already combined, so the reduce
methods stay the identity. With several processes (jax.distributed) each one holds its own rows of each
global batch and the global array is assembled from them."""
import math

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from nnkit.distribution.replicas import Replicas, process_columns


class ShardedReplicas(Replicas):
    """A DataParallel or ModelParallel distribution run as SPMD over a jax.sharding.Mesh."""

    single_device = False

    def __init__(self, distribution):
        self.distribution = distribution
        self.mesh = _mesh(distribution.device_mesh)
        self.count = self.mesh.shape[distribution.batch_dim_name]
        self.process_count = jax.process_count()
        self.process_index = jax.process_index()
        self._batch = NamedSharding(self.mesh, PartitionSpec(distribution.batch_dim_name))
        self._replicated = NamedSharding(self.mesh, PartitionSpec())

    def check_batch_size(self, batch_size):
        if batch_size % self.count:
            raise ValueError(f"batch_size={batch_size} (the global batch) must be divisible by the "
                             f"{self.count} devices of the distribution's batch axis "
                             f"'{self.distribution.batch_dim_name}'; use a multiple of {self.count}.")

    def place_weights(self, variables):
        for variable in variables:
            variable._value = jax.device_put(variable._value, self.weight_sharding(variable.path, variable.shape))

    def keep_placement(self, variables, values):
        return [jax.lax.with_sharding_constraint(value, self.weight_sharding(variable.path, variable.shape))
                for variable, value in zip(variables, values)]

    def weight_sharding(self, path, shape):
        """The NamedSharding of the weight at `path`: its layout in the distribution (replicated by default)."""
        layout = self.distribution.weight_layout(path, len(shape))
        for size, axis in zip(shape, layout):
            if axis is not None and size % self.mesh.shape[axis]:
                raise ValueError(f"Weight '{path}' of shape {tuple(shape)} cannot be sharded as {layout}: {size} is "
                                 f"not divisible by the {self.mesh.shape[axis]} devices of mesh axis '{axis}'.")
        return NamedSharding(self.mesh, PartitionSpec(*layout))

    def place_batch(self, arrays):
        if self.process_count > 1:
            return [jax.make_array_from_process_local_data(self._batch, np.asarray(a)) for a in arrays]
        # A batch that does not split evenly (the short last one) is replicated: every device computes it whole.
        return [jax.device_put(a, self._batch if a.shape[0] % self.count == 0 else self._replicated) for a in arrays]

    def local_rows(self, rows):
        width = rows.shape[1]
        if width % self.process_count:
            raise ValueError(f"A batch of {width} samples cannot be split evenly over {self.process_count} "
                             f"processes; choose a batch_size and data size that are multiples of "
                             f"{self.process_count}.")
        return process_columns(rows, self.process_index, self.process_count)

    def broadcast(self, values):
        if self.process_count == 1:
            return values
        return list(multihost_utils.broadcast_one_to_all([np.asarray(v) for v in values]))


def _mesh(device_mesh):
    """The jax Mesh of a DeviceMesh; None means one 'batch' axis over every device."""
    if device_mesh is None:
        devices = jax.devices()
        return Mesh(np.array(devices), ("batch",))
    devices = jax.devices() if device_mesh.devices is None else [_device(d) for d in device_mesh.devices]
    if len(devices) != math.prod(device_mesh.shape):
        raise ValueError(f"{device_mesh} needs {math.prod(device_mesh.shape)} devices, but JAX has {len(devices)}: "
                         f"{list_device_names()}. Give the mesh devices= or a shape that uses them all.")
    return Mesh(np.array(devices).reshape(device_mesh.shape), device_mesh.axis_names)


def _device(device):
    """A jax device from a device object or a name such as 'cpu:0' (as list_devices() gives them)."""
    if not isinstance(device, str):
        return device
    for candidate in jax.devices():
        if _name(candidate) == device.lower():
            return candidate
    raise ValueError(f"Unknown device {device!r}; JAX has {list_device_names()}.")


def _name(device):
    return f"{device.platform}:{device.id}"


def list_device_names(device_type=None):
    """The names ('cpu:0', 'gpu:1', ...) of JAX's devices, of `device_type` only if given."""
    return [_name(d) for d in jax.devices() if device_type is None or d.platform == device_type.lower()]
