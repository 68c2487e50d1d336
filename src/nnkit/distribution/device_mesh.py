"""DeviceMesh: devices arranged in a named grid (Keras 3's keras.distribution.DeviceMesh)."""
import math


class DeviceMesh:
    """`shape` devices per axis, the axes called `axis_names` (e.g. ("batch", "model")); `devices`: the backend's
    devices (objects or names such as "cpu:0", as list_devices() gives them), None for all of them."""

    def __init__(self, shape, axis_names, devices=None):
        shape, axis_names = tuple(shape), tuple(axis_names)
        if not shape or any(not isinstance(n, int) or n < 1 for n in shape):
            raise ValueError(f"DeviceMesh shape must be a tuple of positive ints, received {shape}.")
        if len(axis_names) != len(shape) or len(set(axis_names)) != len(axis_names):
            raise ValueError(f"DeviceMesh needs one distinct axis name per mesh axis: shape {shape}, received "
                             f"axis_names {axis_names}.")
        if devices is not None and len(devices) != math.prod(shape):
            raise ValueError(f"DeviceMesh of shape {shape} needs {math.prod(shape)} devices, received "
                             f"{len(devices)}.")
        self.shape, self.axis_names = shape, axis_names
        self.devices = None if devices is None else list(devices)

    def axis_size(self, name):
        """The number of devices along axis `name`."""
        return self.shape[self.axis_names.index(name)]

    def __repr__(self):
        return f"<DeviceMesh shape={self.shape} axis_names={self.axis_names}>"
