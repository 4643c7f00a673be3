"""Loss modules that match scikit-learn's definitions.

The elementwise losses (``BinaryHinge`` and ``FocalLoss(binary=True)`` among
them) take ``input`` and ``target`` of one shape; ``MulticlassHinge`` and
``FocalLoss`` take scores ``(n_samples, n_classes)`` and integer class indices
``(n_samples,)``. Anything else is a ``ValueError``: broadcasting an ``(n, 1)``
input against an ``(n,)`` target would pair every row with every target.
"""

import copy

import torch
from torch import nn

from ._checks import check_class_indices, check_option, check_same_shape

__all__ = [
    "AbsoluteError",
    "BinaryHinge",
    "FocalLoss",
    "HalfPoissonLoss",
    "HalfSquaredError",
    "MulticlassHinge",
    "PercentageError",
    "SquaredLogError",
    "UserLoss",
    "reduce",
]

# an ignore_index that no class index reaches
_NO_IGNORED_CLASS = -(2**62)


#: what a criterion's ``reduction`` may be
REDUCTIONS = ("mean", "sum", "none")


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
    check_option(reduction, "reduction", REDUCTIONS)
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
        check_same_shape(input, target, type(self).__name__)
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
        check_same_shape(input, target, type(self).__name__)
        loss = torch.exp(input) - target * input + torch.xlogy(target, target) - target
        return reduce(loss, self.reduction)


class _Reduced(nn.Module):
    """A loss computed elementwise (or per sample), then combined by ``reduction``."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        check_option(reduction, "reduction", REDUCTIONS)
        self.reduction = reduction

    def forward(self, input, target):
        target = self.checked_target(input, target)
        return reduce(self.elementwise(input, target), self.reduction)

    def checked_target(self, input, target):
        """``target`` once checked against ``input``: here, of the same shape."""
        check_same_shape(input, target, type(self).__name__)
        return target

    def elementwise(self, input, target):
        raise NotImplementedError


class AbsoluteError(_Reduced):
    """The absolute error ``|input - target|``, reduced.

    Examples
    --------
    >>> import torch
    >>> AbsoluteError()(torch.tensor([1.0, 3.0]), torch.tensor([0.0, 1.0]))
    tensor(1.5000)
    """

    def elementwise(self, input, target):
        return (input - target).abs()


class PercentageError(_Reduced):
    """The relative absolute error ``|input - target| / max(|target|, eps)``.

    Averaged, it is scikit-learn's ``mean_absolute_percentage_error`` (a
    fraction, not a percentage); ``eps`` is the machine epsilon of the dtype.

    Examples
    --------
    >>> import torch
    >>> PercentageError()(torch.tensor([1.1, 3.0]), torch.tensor([1.0, 2.0]))
    tensor(0.3000)
    """

    def elementwise(self, input, target):
        eps = torch.finfo(target.dtype).eps
        return (input - target).abs() / target.abs().clamp(min=eps)


class SquaredLogError(_Reduced):
    """The squared log error ``(log(1 + max(input, 0)) - log(1 + target)) ** 2``.

    Averaged, it is scikit-learn's ``mean_squared_log_error`` for non-negative
    predictions; negative predictions count as 0, as in Keras.

    Examples
    --------
    >>> import torch, math
    >>> loss = SquaredLogError()(torch.tensor([math.e - 1]), torch.tensor([0.0]))
    >>> round(float(loss), 4)
    1.0
    """

    def elementwise(self, input, target):
        return (torch.log1p(input.clamp(min=0)) - torch.log1p(target)) ** 2


class BinaryHinge(_Reduced):
    """Hinge loss of logistic outputs: ``max(0, 1 - t * input) [** 2]``, ``t = 2y - 1``.

    ``target`` holds 0/1 labels (a binary target, or each label of a multilabel
    one); ``input`` the raw scores.

    Parameters
    ----------
    squared : bool, default=False
        Square the hinge (``'squared_hinge'``).
    reduction : {'mean', 'sum', 'none'}, default='mean'

    Examples
    --------
    >>> import torch
    >>> BinaryHinge()(torch.tensor([2.0, 0.5, 0.5]), torch.tensor([1.0, 1.0, 0.0]))
    tensor(0.6667)
    """

    def __init__(self, squared: bool = False, reduction: str = "mean"):
        super().__init__(reduction)
        self.squared = squared

    def elementwise(self, input, target):
        margin = (1 - (2 * target - 1) * input).clamp(min=0)
        return margin**2 if self.squared else margin


class MulticlassHinge(_Reduced):
    """Crammer and Singer's multiclass hinge loss, Keras' ``categorical_hinge``.

    ``max(0, 1 + max_{j != y} z_j - z_y) [** 2]`` per sample, for raw scores
    ``z`` (``input``, one column per class) and class indices ``y``
    (``target``, integers of shape ``(n_samples,)``).

    Parameters
    ----------
    squared : bool, default=False
        Square the hinge (``'squared_hinge'``).
    reduction : {'mean', 'sum', 'none'}, default='mean'

    Examples
    --------
    >>> import torch
    >>> scores = torch.tensor([[2.0, 0.5, 0.0], [0.0, 0.2, 0.1]])
    >>> MulticlassHinge(reduction="none")(scores, torch.tensor([0, 2]))
    tensor([0.0000, 1.1000])
    """

    def __init__(self, squared: bool = False, reduction: str = "mean"):
        super().__init__(reduction)
        self.squared = squared

    def checked_target(self, input, target):
        """``target`` as int64 class indices, one per row of ``input``."""
        return check_class_indices(input, target, type(self).__name__)

    def elementwise(self, input, target):
        target = target.reshape(-1, 1)
        true = input.gather(1, target).squeeze(1)
        others = input.scatter(1, target, float("-inf")).amax(dim=1)
        margin = (1 + others - true).clamp(min=0)
        return margin**2 if self.squared else margin


class FocalLoss(_Reduced):
    """Focal loss (Lin et al., 2017): cross entropy weighted by ``(1 - p_t) ** gamma``.

    ``p_t`` is the predicted probability of the true class: a softmax over the
    columns of ``input`` for class indices ``target`` (``binary=False``: integers
    of shape ``(n_samples,)``), or a sigmoid of each column for 0/1 targets
    (``binary=True``: ``input``'s shape, any dtype). Confidently right
    samples weigh little, so training concentrates on the hard ones;
    ``gamma=0`` is the cross entropy. No class weight ``alpha`` is applied (as
    in Keras' default); use ``class_weight`` for that.

    Parameters
    ----------
    gamma : float, default=2.0
    binary : bool, default=False
    reduction : {'mean', 'sum', 'none'}, default='mean'

    Examples
    --------
    >>> import torch
    >>> logits = torch.tensor([[0.0, 0.0]])
    >>> FocalLoss()(logits, torch.tensor([0]))  # 0.25 * log(2)
    tensor(0.1733)
    """

    def __init__(self, gamma: float = 2.0, binary: bool = False, reduction="mean"):
        super().__init__(reduction)
        self.gamma = gamma
        self.binary = binary

    def checked_target(self, input, target):
        """0/1 targets of ``input``'s shape, in its dtype (``binary=True``), or
        int64 class indices, one per row of ``input``.
        """
        if not self.binary:
            return check_class_indices(input, target, type(self).__name__)
        check_same_shape(input, target, "FocalLoss(binary=True)")
        return target.to(input.dtype)

    def elementwise(self, input, target):
        if self.binary:
            ce = nn.functional.binary_cross_entropy_with_logits(
                input, target, reduction="none"
            )
        else:
            # no ignored label: torch's default ignores class -100, which
            # would give a wrong label a loss of 0 instead of an error
            ce = nn.functional.cross_entropy(
                input, target, reduction="none", ignore_index=_NO_IGNORED_CLASS
            )
        p_true = torch.exp(-ce)
        return (1 - p_true) ** self.gamma * ce


class UserLoss(nn.Module):
    """A loss given as a callable or an ``nn.Module``, in skdl's training loop.

    ``loss(outputs, target)`` must return the unreduced losses: one per sample
    (shape ``(n_samples,)`` or ``(n_samples, 1)``), or one per element of
    ``outputs`` (its shape); this module reduces them as ``reduction`` says.
    Any other shape is a ``ValueError``: an ``(n_samples, n_samples)`` result
    is the mark of an ``(n, 1)`` and an ``(n,)`` tensor broadcast together. A
    module with a ``reduction`` attribute (PyTorch's losses, e.g.
    ``nn.HuberLoss(delta=2.0)``) is copied and set to ``reduction='none'``, so
    it can be given as is.

    Examples
    --------
    >>> import torch
    >>> loss = UserLoss(torch.nn.L1Loss(), reduction="sum")
    >>> loss(torch.tensor([[1.0], [3.0]]), torch.tensor([[0.0], [1.0]]))
    tensor(3.)
    """

    def __init__(self, loss, reduction: str = "mean"):
        super().__init__()
        if isinstance(loss, nn.Module):
            loss = copy.deepcopy(loss)
            if hasattr(loss, "reduction"):
                loss.reduction = "none"
        self.loss = loss
        self.reduction = reduction

    def forward(self, input, target):
        losses = self.loss(input, target)
        n_samples = input.shape[0]
        if not (
            isinstance(losses, torch.Tensor)
            and losses.shape in ((n_samples,), (n_samples, 1), input.shape)
        ):
            shape = tuple(losses.shape) if isinstance(losses, torch.Tensor) else None
            if shape is not None and len(shape) >= 1 and shape[0] == n_samples:
                advice = (
                    f"It was given input {tuple(input.shape)} and target "
                    f"{tuple(target.shape)}: check the shapes inside it, where "
                    "an (n, 1) array and an (n,) one broadcast to (n, n), every "
                    "sample paired with every target (reshape one to the "
                    "other's shape)."
                )
            else:
                advice = (
                    "skdl averages them over the samples itself (with "
                    "sample_weight when given): drop any .mean() or "
                    "reduction='mean'."
                )
            raise ValueError(
                f"loss={self.loss!r} returned {type(losses).__name__} of shape "
                f"{shape}; it must return the unreduced losses, one per sample "
                f"(shape ({n_samples},)) or per output element "
                f"(shape {tuple(input.shape)}). {advice}"
            )
        return reduce(losses, self.reduction)
