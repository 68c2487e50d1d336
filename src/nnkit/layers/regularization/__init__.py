"""Layers that regularize: spatial dropout, Gaussian noise and dropout, activity regularization."""
__all__ = []
