"""``torch.nn.Module`` definitions used by skdl's estimators (no sklearn here)."""

from ._activations import ACTIVATIONS, make_activation
from ._losses import HalfPoissonLoss, HalfSquaredError
from ._mlp import MLPModule, glorot_uniform_
from ._rnn import CELLS, POOLINGS, RecurrentEncoder, RecurrentModule, pool_steps

__all__ = [
    "ACTIVATIONS",
    "CELLS",
    "POOLINGS",
    "HalfPoissonLoss",
    "HalfSquaredError",
    "MLPModule",
    "RecurrentEncoder",
    "RecurrentModule",
    "glorot_uniform_",
    "make_activation",
    "pool_steps",
]
