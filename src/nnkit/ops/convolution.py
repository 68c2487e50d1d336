"""Convolution primitives (N-d, strided, dilated, grouped, and transposed); kernels come from the backend."""
__all__ = []
