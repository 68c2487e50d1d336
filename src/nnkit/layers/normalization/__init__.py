"""Normalization layers: batch, layer, group and unit normalization."""
from nnkit.layers.normalization.batch_normalization import BatchNormalization
from nnkit.layers.normalization.group_normalization import GroupNormalization
from nnkit.layers.normalization.layer_normalization import LayerNormalization
from nnkit.layers.normalization.unit_normalization import UnitNormalization

__all__ = ["BatchNormalization", "GroupNormalization", "LayerNormalization", "UnitNormalization"]
