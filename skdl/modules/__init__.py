"""``torch.nn.Module`` definitions used by skdl's estimators (no sklearn here)."""

from ._activations import ACTIVATIONS, make_activation
from ._cnn import CNNModule, conv_output_size
from ._gan import GANModule, gradient_penalty
from ._language import NextTokenLoss, RecurrentLanguageModule, token_log_likelihoods
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
from ._rnn import CELLS, POOLINGS, RecurrentEncoder, RecurrentModule, pool_steps

__all__ = [
    "ACTIVATIONS",
    "CELLS",
    "POOLINGS",
    "RBM",
    "CNNModule",
    "ContrastiveDivergence",
    "GANModule",
    "GLVQLoss",
    "HalfPoissonLoss",
    "HalfSquaredError",
    "LVQModule",
    "MLPModule",
    "NearestPrototypeError",
    "NextTokenLoss",
    "RecurrentEncoder",
    "RecurrentLanguageModule",
    "RecurrentModule",
    "conv_output_size",
    "glorot_uniform_",
    "gradient_penalty",
    "make_activation",
    "pool_steps",
    "relative_distance",
    "squared_distances",
    "token_log_likelihoods",
]
