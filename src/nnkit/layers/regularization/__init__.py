"""Layers that regularize: spatial dropout, Gaussian noise and dropout, alpha dropout, activity regularization."""
from nnkit.layers.regularization.activity_regularization import ActivityRegularization
from nnkit.layers.regularization.alpha_dropout import AlphaDropout
from nnkit.layers.regularization.gaussian_dropout import GaussianDropout
from nnkit.layers.regularization.gaussian_noise import GaussianNoise
from nnkit.layers.regularization.spatial_dropout import SpatialDropout1D, SpatialDropout2D, SpatialDropout3D

__all__ = ["ActivityRegularization", "AlphaDropout", "GaussianDropout", "GaussianNoise", "SpatialDropout1D",
           "SpatialDropout2D", "SpatialDropout3D"]
