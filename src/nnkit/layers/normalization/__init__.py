"""Normalization layers: batch, layer, group and unit normalization."""
__all__ = []
