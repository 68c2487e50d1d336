"""nnkit's benchmark suite: nnkit against a NumPy loop, PyTorch eager, pure JAX + optax and Keras 3.

Run it from the repository root with `python -m benchmarks --help`; see benchmarks/README.md.
"""
__version__ = "1.0"
