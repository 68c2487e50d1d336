"""Attention layers: MultiHeadAttention, Attention (dot-product) and AdditiveAttention."""
__all__ = []
