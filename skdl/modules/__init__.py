"""``torch.nn.Module`` definitions used by skdl's estimators (no sklearn here)."""

from ._activations import ACTIVATIONS, make_activation
from ._losses import HalfPoissonLoss, HalfSquaredError
from ._lvq import (
    GLVQLoss,
    LVQModule,
    NearestPrototypeError,
    relative_distance,
    squared_distances,
)
from ._mlp import MLPModule, glorot_uniform_
from ._rbm import RBM, ContrastiveDivergence

__all__ = [
    "ACTIVATIONS",
    "RBM",
    "ContrastiveDivergence",
    "GLVQLoss",
    "HalfPoissonLoss",
    "HalfSquaredError",
    "LVQModule",
    "MLPModule",
    "NearestPrototypeError",
    "glorot_uniform_",
    "make_activation",
    "relative_distance",
    "squared_distances",
]
