"""skorch callbacks that skdl adds to every fit; each has one job.

Pass your own skorch callbacks (``Checkpoint``, ``LRScheduler``,
``GradientNormClipping``...) through the ``callbacks`` parameter of any estimator
that has one; ``GANSampler`` refuses ``LRScheduler``, which would schedule one
of its two optimizers: this module's schedules set both.
"""

from ._convergence import Convergence, LBFGSConvergence, StopTraining
from ._progress import EpochProgressBar, IterationLog
from ._regularization import L1Shrinkage
from ._schedules import (
    ExponentialDecayLR,
    InverseScalingLR,
    LinearDecayLR,
    ReduceLROnPlateau,
)

__all__ = [
    "Convergence",
    "EpochProgressBar",
    "ExponentialDecayLR",
    "InverseScalingLR",
    "IterationLog",
    "L1Shrinkage",
    "LBFGSConvergence",
    "LinearDecayLR",
    "ReduceLROnPlateau",
    "StopTraining",
]
