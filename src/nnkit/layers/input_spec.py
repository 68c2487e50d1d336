"""InputSpec: what a layer accepts (rank, fixed axis sizes), checked on every call with a clear error."""


class InputSpec:
    """Constraints on one input: ndim / min_ndim / max_ndim, and `axes` {axis: required size}."""

    def __init__(self, ndim=None, min_ndim=None, max_ndim=None, axes=None, dtype=None):
        self.ndim = ndim
        self.min_ndim = min_ndim
        self.max_ndim = max_ndim
        self.axes = dict(axes or {})
        self.dtype = dtype

    def problem(self, shape):
        """A sentence saying how `shape` violates the spec, or None when it fits."""
        rank = len(shape)
        if self.ndim is not None and rank != self.ndim:
            return f"expected ndim={self.ndim}, found ndim={rank}"
        if self.min_ndim is not None and rank < self.min_ndim:
            return f"expected min_ndim={self.min_ndim}, found ndim={rank}"
        if self.max_ndim is not None and rank > self.max_ndim:
            return f"expected max_ndim={self.max_ndim}, found ndim={rank}"
        for axis, size in self.axes.items():
            if -rank <= axis < rank and shape[axis] is not None and size is not None and shape[axis] != size:
                return f"expected axis {axis} of the input shape to have value {size}"
        return None
