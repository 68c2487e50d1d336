"""Runnable examples: `python -m nnkit.examples.breast_cancer`."""
