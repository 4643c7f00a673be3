"""Penalties that are no loss term, applied as steps after the optimizer's."""

from __future__ import annotations

import torch
from skorch.callbacks import Callback

from ._checks import check_argument

__all__ = ["L1Shrinkage"]


class L1Shrinkage(Callback):
    r"""L1 penalty on the weight matrices, as a proximal step after each update.

    After every training step each weight ``w`` of the weight matrices (the
    parameters with two or more dimensions: linear and convolution kernels,
    embeddings, recurrent weights; not the biases or normalisation scales, as
    for ``alpha``) becomes ``sign(w) * max(|w| - lr * strength, 0)``, where
    ``lr`` is the optimizer's current learning rate. This is the proximal
    gradient step of the penalty ``strength * sum(|w|)``: unlike its
    subgradient, it sets small weights to exactly zero. It works on the module
    of every skdl estimator.

    Parameters
    ----------
    strength : float
        Weight of the L1 penalty (:math:`\lambda`); 0 changes nothing.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdl import MLPClassifier
    >>> from skdl.callbacks import L1Shrinkage
    >>> X, y = load_digits(return_X_y=True)
    >>> model = MLPClassifier((16,), early_stopping=True, random_state=0,
    ...                       callbacks=[L1Shrinkage(0.5)]).fit(X / 16, y)
    >>> float((model.coefs_[0] == 0).mean()) > 0.2  # first-layer weights at zero
    True
    """

    # reads no per-batch history: the loop need not record a row per batch
    reads_batch_history = False

    def __init__(self, strength: float):
        self.strength = strength

    def initialize(self):
        check_argument(self, "strength", low=0)
        return self

    def on_batch_end(self, net, training=False, **kwargs):
        if not training or not self.strength:
            return
        step = net.optimizer_.param_groups[0]["lr"] * self.strength
        weights = [
            p for p in net.module_.parameters() if p.requires_grad and p.ndim >= 2
        ]
        if not weights:
            return
        with torch.no_grad():
            signs = torch._foreach_sign(weights)
            magnitudes = torch._foreach_abs(weights)
            torch._foreach_sub_(magnitudes, step)
            torch._foreach_clamp_min_(magnitudes, 0.0)
            torch._foreach_mul_(magnitudes, signs)
            torch._foreach_copy_(weights, magnitudes)
