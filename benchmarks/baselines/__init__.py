"""The hand-written and third-party baselines nnkit is compared with.

Each module exposes the same small interface (used by benchmarks.suite):
    NAME                      key used on the command line ('numpy', 'torch', 'jax', 'keras')
    LIBRARY                   the array library it computes with (memory probe, matmul peak)
    unavailable(ctx)          None, or why it cannot run here ('not installed ...', 'no GPU ...')
    not_applicable(w, ctx)    None, or why workload w does not apply (the row says 'n/a')
    train_session(w, data, ctx), predict_session(w, x1, ctx)   sessions as described in benchmarks.measure
The modules import their library lazily, inside these functions.
"""
from benchmarks.baselines import jax_optax, keras3, numpy_loop, torch_eager

BASELINES = {module.NAME: module for module in (numpy_loop, torch_eager, jax_optax, keras3)}
BASELINE_ORDER = ("numpy", "torch", "jax", "keras")
