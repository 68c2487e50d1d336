"""The distributions a user picks (Keras 3's DataParallel and ModelParallel): backend-neutral descriptions of
where weights live and how batches are split. A backend turns one into a Replicas for the trainer."""
from nnkit.distribution.device_mesh import DeviceMesh
from nnkit.distribution.layout_map import LayoutMap


class Distribution:
    """A device mesh (None: every device, resolved by the backend), the mesh axis batches are split on, and the
    layout of each weight."""

    def __init__(self, device_mesh, batch_dim_name):
        self.device_mesh = device_mesh
        self.batch_dim_name = batch_dim_name

    def weight_layout(self, path, ndim):
        """One mesh-axis name or None per dimension of the weight at `path`; all None: replicated."""
        return (None,) * ndim

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self.device_mesh} batch_dim_name={self.batch_dim_name!r}>"


class DataParallel(Distribution):
    """Every device holds all weights and trains on its slice of each batch; gradients are averaged.
    `device_mesh` (one axis) or `devices` choose the devices; neither: all of them."""

    def __init__(self, device_mesh=None, devices=None):
        if device_mesh is not None and devices is not None:
            raise ValueError("DataParallel takes device_mesh or devices, not both.")
        if device_mesh is not None and len(device_mesh.shape) != 1:
            raise ValueError(f"DataParallel needs a one-axis device mesh, received {device_mesh}.")
        if device_mesh is None and devices is not None:
            device_mesh = DeviceMesh((len(devices),), ("batch",), devices)
        super().__init__(device_mesh, "batch" if device_mesh is None else device_mesh.axis_names[0])


class ModelParallel(Distribution):
    """Weights sharded over the mesh as `layout_map` says (others replicated); batches split on the mesh axis
    `batch_dim_name` (default: the mesh's first axis)."""

    def __init__(self, *, layout_map=None, batch_dim_name=None):
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(f"ModelParallel needs layout_map=LayoutMap(device_mesh), received {layout_map!r}.")
        mesh = layout_map.device_mesh
        batch_dim_name = mesh.axis_names[0] if batch_dim_name is None else batch_dim_name
        if batch_dim_name not in mesh.axis_names:
            raise ValueError(f"ModelParallel batch_dim_name={batch_dim_name!r} is not an axis of the mesh "
                             f"{mesh.axis_names}.")
        super().__init__(mesh, batch_dim_name)
        self.layout_map = layout_map

    def weight_layout(self, path, ndim):
        return self.layout_map.layout_for(path, ndim)
