"""nnkit.distribution: train on several devices or processes without changing model code (Keras 3's
keras.distribution). Pick DataParallel or ModelParallel, pass it to compile(distribution=...) or
set_distribution(); fit() does the rest. See docs/distribution.md."""
from nnkit.distribution.active import distribution, set_distribution
from nnkit.distribution.device_mesh import DeviceMesh
from nnkit.distribution.distributions import DataParallel, Distribution, ModelParallel
from nnkit.distribution.layout_map import LayoutMap
from nnkit.distribution.processes import initialize, list_devices
from nnkit.distribution.replicas import Replicas

__all__ = ["DataParallel", "DeviceMesh", "Distribution", "LayoutMap", "ModelParallel", "Replicas", "distribution",
           "initialize", "list_devices", "set_distribution"]
