"""``torch.nn.Module`` definitions used by skdl's estimators (no sklearn here)."""

from ._activations import (
    ACTIVATION_ALIASES,
    ACTIVATIONS,
    activation_hint,
    canonical_activation,
    make_activation,
)
from ._autoencoder import AutoencoderModule, ReconstructionLoss, corrupt, kl_sparsity
from ._boltzmann import BoltzmannModule, EnergyGapLoss
from ._cnn import CNNModule, conv_output_size
from ._gan import GANModule, gradient_penalty
from ._hopfield import (
    STORAGE_RULES,
    capacity,
    classic_energy,
    classic_recall,
    dense_energy,
    dense_recall,
)
from ._language import (
    FixedWindowEncoder,
    NextTokenLoss,
    RecurrentLanguageModule,
    token_log_likelihoods,
)
from ._layers import INITIALIZERS, initialize_
from ._losses import (
    AbsoluteError,
    BinaryHinge,
    FocalLoss,
    HalfPoissonLoss,
    HalfSquaredError,
    MulticlassHinge,
    PercentageError,
    SquaredLogError,
    UserLoss,
)
from ._lvq import (
    GLVQLoss,
    LVQModule,
    NearestPrototypeError,
    relative_distance,
    squared_distances,
)
from ._mlp import MLPModule, glorot_uniform_
from ._rbm import RBM, ContrastiveDivergence, pseudo_likelihood
from ._rnn import (
    CELLS,
    POOLINGS,
    ConvSteps,
    RecurrentEncoder,
    RecurrentModule,
    pool_steps,
)

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_ALIASES",
    "CELLS",
    "INITIALIZERS",
    "POOLINGS",
    "RBM",
    "STORAGE_RULES",
    "AbsoluteError",
    "AutoencoderModule",
    "BinaryHinge",
    "BoltzmannModule",
    "CNNModule",
    "ContrastiveDivergence",
    "ConvSteps",
    "EnergyGapLoss",
    "FixedWindowEncoder",
    "FocalLoss",
    "GANModule",
    "GLVQLoss",
    "HalfPoissonLoss",
    "HalfSquaredError",
    "LVQModule",
    "MLPModule",
    "MulticlassHinge",
    "NearestPrototypeError",
    "NextTokenLoss",
    "PercentageError",
    "ReconstructionLoss",
    "RecurrentEncoder",
    "RecurrentLanguageModule",
    "RecurrentModule",
    "SquaredLogError",
    "UserLoss",
    "activation_hint",
    "canonical_activation",
    "capacity",
    "classic_energy",
    "classic_recall",
    "conv_output_size",
    "corrupt",
    "dense_energy",
    "dense_recall",
    "glorot_uniform_",
    "gradient_penalty",
    "initialize_",
    "kl_sparsity",
    "make_activation",
    "pool_steps",
    "pseudo_likelihood",
    "relative_distance",
    "squared_distances",
    "token_log_likelihoods",
]
