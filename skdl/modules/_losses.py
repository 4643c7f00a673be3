"""Loss modules that match scikit-learn's definitions."""

import torch
from torch import nn

__all__ = ["HalfPoissonLoss", "HalfSquaredError", "reduce"]


def reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    """Losses combined as a criterion's ``reduction`` says ('none': as they are).

    skdl's training loop sets ``reduction='sum'`` (or ``'none'`` with sample
    weights) on every criterion and averages over the samples itself.

    Examples
    --------
    >>> import torch
    >>> reduce(torch.tensor([1.0, 3.0]), "sum")
    tensor(4.)
    """
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


class HalfSquaredError(nn.MSELoss):
    """Half the squared error ``0.5 * (input - target) ** 2``, reduced.

    Examples
    --------
    >>> import torch
    >>> HalfSquaredError()(torch.tensor([1.0, 3.0]), torch.tensor([0.0, 1.0]))
    tensor(1.2500)
    """

    def forward(self, input, target):
        return 0.5 * super().forward(input, target)


class HalfPoissonLoss(nn.Module):
    """Half the Poisson deviance, ``exp(raw) - y * raw + y * log(y) - y``.

    The module outputs ``raw = log(prediction)``, as scikit-learn's
    ``MLPRegressor(loss='poisson')`` does internally; the loss is zero where the
    prediction equals the target, and its value is the one scikit-learn reports.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default='mean'
        How the elementwise losses are combined.

    Examples
    --------
    >>> import torch
    >>> HalfPoissonLoss()(torch.tensor([0.0, 0.0]), torch.tensor([1.0, 0.0]))
    tensor(0.5000)
    """

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):
        loss = torch.exp(input) - target * input + torch.xlogy(target, target) - target
        return reduce(loss, self.reduction)
