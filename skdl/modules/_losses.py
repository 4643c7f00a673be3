"""Loss modules that match scikit-learn's definitions."""

from torch import nn

__all__ = ["HalfPoissonLoss", "HalfSquaredError"]


class HalfSquaredError(nn.MSELoss):
    """Half the mean squared error, the loss scikit-learn's MLPRegressor reports.

    Examples
    --------
    >>> import torch
    >>> HalfSquaredError()(torch.tensor([1.0, 3.0]), torch.tensor([0.0, 1.0]))
    tensor(1.2500)
    """

    def forward(self, input, target):
        return 0.5 * super().forward(input, target)


class HalfPoissonLoss(nn.PoissonNLLLoss):
    """Half Poisson deviance up to a constant: ``exp(raw) - y * raw``.

    The module outputs ``raw = log(prediction)``, as scikit-learn's
    ``MLPRegressor(loss='poisson')`` does internally.

    Examples
    --------
    >>> import torch
    >>> HalfPoissonLoss()(torch.tensor([0.0]), torch.tensor([2.0]))
    tensor(1.)
    """

    def __init__(self, reduction: str = "mean"):
        super().__init__(log_input=True, full=False, reduction=reduction)
