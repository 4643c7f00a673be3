"""When training has diverged, and the error that says so.

Both of skdl's training loops (the skorch loop of :mod:`skdl._net` and the RBMs'
contrastive divergence) ask :func:`find_divergence` after every epoch and raise
:func:`divergence_error`, so every estimator reports a diverged fit alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import torch

from ..exceptions import DivergenceError

__all__ = ["PARAMETER_LIMIT", "divergence_error", "find_divergence"]

#: The largest parameter magnitude a trained model may hold, sqrt(float32 max),
#: about 1.8e19. Every skdl model multiplies its parameters together in float32,
#: where it computes: a weight squared in the L2 penalty of the reported loss,
#: in the squared distances of LVQ and in a Gaussian RBM's energy, the weights
#: of two layers in sequence. Beyond this bound such a product overflows to
#: infinity, so a model holding such a weight cannot be evaluated, though the
#: weight itself is finite. No well-posed fit comes near it: trained weights
#: are far below 1e3 on scaled data, so float64 models (which could hold more)
#: keep the same bound: a weight beyond it means the fit has diverged.
PARAMETER_LIMIT = math.sqrt(float(np.finfo(np.float32).max))


def find_divergence(
    parameters: Iterable[torch.Tensor], loss: float | None = None
) -> str | None:
    """Say how training has diverged, or return None when it has not.

    Training has diverged when the epoch's loss is NaN or infinite, when a
    parameter is, or when a parameter's magnitude exceeds
    :data:`PARAMETER_LIMIT`.

    Parameters
    ----------
    parameters : iterable of Tensor
        The model's parameters after the epoch.
    loss : float or None, default=None
        The epoch's loss, if the trainer has one.

    Returns
    -------
    str or None
        What went wrong, as a clause for :func:`divergence_error`.

    Examples
    --------
    >>> import torch
    >>> find_divergence([torch.ones(3)], loss=0.5) is None
    True
    >>> find_divergence([torch.ones(3)], loss=float("inf"))
    'the training loss became inf'
    >>> find_divergence([torch.tensor([1.0, 3e30])])
    'a weight reached 3e+30, beyond 1.8e+19, where products of weights overflow ...'
    """
    if loss is not None and not math.isfinite(loss):
        return f"the training loss became {loss}"
    parameters = [p for p in parameters if p.numel()]
    if not parameters:
        return None
    norms = [p.detach().abs().amax().cpu().double() for p in parameters]
    largest = float(torch.stack(norms).max())
    if math.isnan(largest) or math.isinf(largest):
        return "the weights became NaN or infinite"
    if largest > PARAMETER_LIMIT:
        why = (
            "far beyond the weights of any fit that converges"
            if all(p.dtype == torch.float64 for p in parameters)
            else "where products of weights overflow float32"
        )
        return f"a weight reached {largest:.3g}, beyond {PARAMETER_LIMIT:.2g}, {why}"
    return None


def divergence_error(
    owner: str, epoch: int, problem: str, advice: str
) -> DivergenceError:
    """The error to raise when :func:`find_divergence` found ``problem``.

    Its message holds scikit-learn's words for the same failure, then
    ``advice``: which parameter to lower, how to scale X.

    Parameters
    ----------
    owner : str
        The estimator's class name.
    epoch : int
        The epoch (counted from 1 over the estimator's life) that diverged.
    problem : str
        What :func:`find_divergence` returned.
    advice : str
        What to change, as full sentences.

    Returns
    -------
    DivergenceError

    Examples
    --------
    >>> error = divergence_error(
    ...     "MLPClassifier", 3, "the training loss became nan", "Lower it."
    ... )
    >>> print(error)  # doctest: +NORMALIZE_WHITESPACE
    MLPClassifier training diverged in epoch 3: the training loss became nan.
    Solver produced non-finite parameter weights. The input data may contain
    large values and need to be preprocessed. Lower it. The estimator was left
    as it was before this call.
    """
    return DivergenceError(
        f"{owner} training diverged in epoch {epoch}: {problem}. Solver produced "
        "non-finite parameter weights. The input data may contain large values "
        f"and need to be preprocessed. {advice} The estimator was left as it was "
        "before this call."
    )
