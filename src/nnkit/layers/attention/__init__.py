"""Attention layers: MultiHeadAttention, Attention (dot-product) and AdditiveAttention."""
from nnkit.layers.attention.additive_attention import AdditiveAttention
from nnkit.layers.attention.attention import Attention
from nnkit.layers.attention.multi_head_attention import MultiHeadAttention

__all__ = ["AdditiveAttention", "Attention", "MultiHeadAttention"]
