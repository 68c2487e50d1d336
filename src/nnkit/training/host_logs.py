"""Step logs as host values: Python floats for scalar metrics, NumPy arrays for vector ones (e.g. F1Score's
per-class scores), as Keras reports them."""


def host_logs(logs, backend):
    """`logs` with each backend value copied to the host (one read per value)."""
    return {name: float(value) if getattr(value, "ndim", 0) == 0 else backend.to_numpy(value)
            for name, value in logs.items()}
