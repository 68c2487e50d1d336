"""Layers that reshape without weights: padding, cropping, upsampling, permuting, repeating."""
__all__ = []
