"""LayoutMap: which mesh axis each dimension of a weight is sharded on, chosen by the weight's path
(Keras 3's keras.distribution.LayoutMap)."""
import re


class LayoutMap:
    """A dict from weight-path patterns to layouts: tuples with one mesh-axis name (sharded) or None (whole) per
    dimension, or None (replicated). A path's layout is its exact key, else the one pattern that `re.fullmatch`es
    it (more than one is an error, as in Keras 3), else None: the weight is replicated."""

    def __init__(self, device_mesh):
        self.device_mesh = device_mesh
        self._layouts = {}

    def __setitem__(self, pattern, layout):
        if pattern in self._layouts:
            raise ValueError(f"LayoutMap already has a layout for {pattern!r}; delete it first to replace it.")
        if layout is not None:
            layout = (layout,) if isinstance(layout, str) else tuple(layout)
        unknown = [axis for axis in layout or () if axis is not None and axis not in self.device_mesh.axis_names]
        if unknown:
            raise ValueError(f"LayoutMap[{pattern!r}] = {layout} names mesh axes {unknown}, but the mesh's axes are "
                             f"{self.device_mesh.axis_names}.")
        self._layouts[pattern] = layout

    def __getitem__(self, path):
        if path in self._layouts:
            return self._layouts[path]
        matches = [pattern for pattern in self._layouts if re.fullmatch(pattern, path)]
        if len(matches) > 1:
            raise ValueError(f"Weight path {path!r} matches several LayoutMap keys: {matches}. Make the keys "
                             f"specific enough that each path matches one.")
        return self._layouts[matches[0]] if matches else None

    def __delitem__(self, pattern):
        del self._layouts[pattern]

    def __contains__(self, pattern):
        return pattern in self._layouts

    def __len__(self):
        return len(self._layouts)

    def __iter__(self):
        return iter(self._layouts)

    def layout_for(self, path, ndim):
        """The layout of the weight at `path` with `ndim` dimensions: its entry, or all None (replicated)."""
        layout = self[path]
        if layout is None:
            return (None,) * ndim
        if len(layout) != ndim:
            raise ValueError(f"LayoutMap gives weight {path!r} the layout {layout} of {len(layout)} dimensions, but "
                             f"the weight has {ndim}.")
        return layout
