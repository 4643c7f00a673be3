"""Prototype distances and the costs of learning vector quantization (LVQ)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ._checks import check_class_indices, check_option
from ._losses import reduce

__all__ = [
    "GLVQLoss",
    "LVQModule",
    "NearestPrototypeError",
    "relative_distance",
    "squared_distances",
]

METRICS = ("euclidean", "relevance", "matrix")


def squared_distances(X: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances between the rows of ``X`` and of ``W``.

    Computed as ``|x|^2 - 2 x.w + |w|^2`` (one matrix product), clipped at 0
    against rounding.

    Examples
    --------
    >>> import torch
    >>> squared_distances(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]))
    tensor([[25.]])
    """
    cross = torch.addmm(W.pow(2).sum(1), X, W.T, alpha=-2)
    return (cross + X.pow(2).sum(1, keepdim=True)).clamp_min(0)


class LVQModule(nn.Module):
    """Labelled prototypes and the squared distances of samples to them.

    The distance is the squared Euclidean distance, optionally in a learned
    metric:

    - ``'relevance'`` (GRLVQ): ``d(x, w) = sum_j lambda_j (x_j - w_j)^2`` with
      relevances ``lambda = r^2 / sum(r^2)`` (non-negative, summing to 1);
    - ``'matrix'`` (GMLVQ): ``d(x, w) = |Omega (x - w)|^2`` with ``Omega`` scaled
      to unit Frobenius norm, so that ``trace(Omega^T Omega) = 1``.

    The normalisations fix the scale of the metric, which the relative distance
    of GLVQ cannot see anyway.

    The prototypes are stored as coordinates ``v`` in units of the features:
    ``w = feature_offset + feature_scale * v``. With the default offset 0 and
    scale 1, ``v`` is ``w``; an estimator that sets them to the mean and standard
    deviation of its data makes optimizer steps (and learning rates) independent
    of the scale of the features, without changing the distance.

    Parameters
    ----------
    n_features : int
        Width of the input.
    prototype_labels : sequence of int
        Class index of each prototype; its length is the number of prototypes.
    metric : {'euclidean', 'relevance', 'matrix'}, default='euclidean'
        The distance.
    n_components : int or None, default=None
        Rows of ``Omega`` for ``metric='matrix'``; None means ``n_features``.

    Examples
    --------
    >>> import torch
    >>> module = LVQModule(4, [0, 0, 1], metric="matrix", n_components=2)
    >>> module(torch.zeros(5, 4)).shape
    torch.Size([5, 3])
    """

    def __init__(
        self,
        n_features: int,
        prototype_labels: Sequence[int],
        metric: str = "euclidean",
        n_components: int | None = None,
    ):
        super().__init__()
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}; got {metric!r}.")
        labels = torch.as_tensor(prototype_labels, dtype=torch.long)
        self.metric = metric
        # structure, not state: built from the arguments, left out of state_dict
        self.register_buffer("prototype_labels", labels, persistent=False)
        self.register_buffer("feature_offset", torch.zeros(n_features))
        self.register_buffer("feature_scale", torch.ones(n_features))
        self.prototype_coordinates = nn.Parameter(torch.zeros(len(labels), n_features))
        if metric == "relevance":
            self.relevance_weights = nn.Parameter(torch.ones(n_features))
        elif metric == "matrix":
            rows = n_features if n_components is None else n_components
            self.omega = nn.Parameter(torch.eye(rows, n_features))

    def prototypes(self) -> torch.Tensor:
        """The prototypes ``(n_prototypes, n_features)`` in input units."""
        return torch.addcmul(
            self.feature_offset, self.feature_scale, self.prototype_coordinates
        )

    def set_prototypes(self, prototypes: torch.Tensor) -> None:
        """Store ``prototypes`` (in input units) as coordinates."""
        with torch.no_grad():
            coordinates = (prototypes - self.feature_offset) / self.feature_scale
            self.prototype_coordinates.copy_(coordinates)

    def relevance_scale(self) -> torch.Tensor:
        """Per-feature scale ``sqrt(lambda)`` of the 'relevance' metric."""
        return self.relevance_weights / self.relevance_weights.norm()

    def normalized_omega(self) -> torch.Tensor:
        """``Omega`` of the 'matrix' metric, scaled to unit Frobenius norm."""
        return self.omega / self.omega.norm()

    def project(self, X: torch.Tensor) -> torch.Tensor:
        """Map ``X`` into the space where the metric is Euclidean."""
        if self.metric == "relevance":
            return X * self.relevance_scale()
        if self.metric == "matrix":
            return X @ self.normalized_omega().T
        return X

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Squared distances ``(n_samples, n_prototypes)``."""
        return squared_distances(self.project(X), self.project(self.prototypes()))


def relative_distance(
    distances: torch.Tensor, y: torch.Tensor, prototype_labels: torch.Tensor
) -> torch.Tensor:
    """GLVQ's relative distance ``mu = (d+ - d-) / (d+ + d-)`` of each sample.

    ``d+`` is the distance to the nearest prototype of the sample's class, ``d-``
    to the nearest prototype of another class; ``mu`` lies in [-1, 1] and is
    negative exactly when the sample is classified correctly. The winners are
    found without gradient; the gradient flows through their two distances
    only, which is the GLVQ update of Sato & Yamada (1996).

    ``distances`` has shape ``(n_samples, n_prototypes)``, ``y`` holds integer
    class indices ``(n_samples,)``. A label that no prototype has is a
    ``ValueError`` for tensors on the CPU; elsewhere its sample's ``mu`` is NaN
    (seeing the label there would wait for the device).

    Examples
    --------
    >>> import torch
    >>> d = torch.tensor([[1.0, 3.0]])
    >>> relative_distance(d, torch.tensor([0]), torch.tensor([0, 1]))
    tensor([-0.5000])
    """
    y = _checked_labels(distances, y, prototype_labels, "relative_distance")
    return _relative_distance(distances, y, prototype_labels)


def _relative_distance(distances, y, prototype_labels) -> torch.Tensor:
    """:func:`relative_distance` of labels already checked against ``distances``."""
    same = prototype_labels[None, :] == y[:, None]
    has_own = same.any(dim=1)
    if distances.device.type == "cpu" and not bool(has_own.all()):
        missing = torch.unique(y[~has_own]).tolist()
        raise ValueError(
            f"y holds labels {missing} that no prototype has; the prototypes' "
            f"labels are {torch.unique(prototype_labels).tolist()}. Every sample "
            "needs a prototype of its class: give each class prototypes, or drop "
            "the samples of other classes."
        )
    with torch.no_grad():
        inf = distances.new_tensor(float("inf"))
        nearest_same = torch.where(same, distances, inf).argmin(1, keepdim=True)
        nearest_other = torch.where(same, inf, distances).argmin(1, keepdim=True)
    # a sample without a prototype of its class has no d+
    d_plus = distances.gather(1, nearest_same)[:, 0].masked_fill(~has_own, math.nan)
    d_minus = distances.gather(1, nearest_other)[:, 0]
    # a sample on both winners has mu = 0 (0/0 would be NaN)
    denominator = (d_plus + d_minus).clamp_min(torch.finfo(distances.dtype).tiny)
    return (d_plus - d_minus) / denominator


def _checked_labels(distances, y, prototype_labels, owner: str) -> torch.Tensor:
    """``y`` as int64 class indices, one per row of ``distances``, whose columns
    are the prototypes.
    """
    y = check_class_indices(
        distances,
        y,
        owner,
        names=("distances", "y"),
        classes="n_prototypes",
        meanings=("one column per prototype", "class indices"),
    )
    if distances.shape[1] != len(prototype_labels):
        raise ValueError(
            f"{owner} has {len(prototype_labels)} prototypes, but distances has "
            f"{distances.shape[1]} columns; it needs one column per prototype."
        )
    return y


class _PrototypeCriterion(nn.Module):
    """A per-sample cost of prototype distances, reduced by ``reduction``."""

    def __init__(self, prototype_labels: Sequence[int], reduction: str = "mean"):
        super().__init__()
        self.register_buffer(
            "prototype_labels", torch.as_tensor(prototype_labels, dtype=torch.long)
        )
        self.reduction = reduction

    def per_sample(self, distances, y):
        raise NotImplementedError

    def forward(self, distances: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The cost of distances ``(n_samples, n_prototypes)`` and class indices
        ``y`` ``(n_samples,)``, reduced.
        """
        y = _checked_labels(distances, y, self.prototype_labels, type(self).__name__)
        return reduce(self.per_sample(distances, y), self.reduction)


class GLVQLoss(_PrototypeCriterion):
    """The generalized LVQ cost ``f(mu)`` of :func:`relative_distance`.

    Parameters
    ----------
    prototype_labels : sequence of int
        Class index of each prototype; at least two classes. Every label of
        ``y`` needs a prototype (see :func:`relative_distance`).
    activation : {'sigmoid', 'identity'}, default='sigmoid'
        ``f``: ``sigmoid(beta * mu)`` or ``mu`` itself.
    beta : float, default=10.0
        Slope of the sigmoid; large values approach the error count.
    reduction : {'mean', 'sum', 'none'}, default='mean'
        How the per-sample costs are combined.

    Examples
    --------
    >>> import torch
    >>> loss = GLVQLoss([0, 1], activation="identity")
    >>> loss(torch.tensor([[1.0, 3.0], [1.0, 3.0]]), torch.tensor([0, 1]))
    tensor(0.)
    """

    def __init__(
        self,
        prototype_labels: Sequence[int],
        activation: str = "sigmoid",
        beta: float = 10.0,
        reduction: str = "mean",
    ):
        super().__init__(prototype_labels, reduction)
        check_option(activation, "activation", ("sigmoid", "identity"))
        classes = torch.unique(self.prototype_labels).tolist()
        if len(classes) < 2:
            raise ValueError(
                "GLVQLoss needs prototypes of at least 2 classes: a sample is "
                "placed against the nearest prototype of another class; "
                f"prototype_labels hold {len(classes)} class: {classes}."
            )
        self.activation = activation
        self.beta = beta

    def per_sample(self, distances, y):
        # forward checked y
        mu = _relative_distance(distances, y, self.prototype_labels)
        return torch.sigmoid(self.beta * mu) if self.activation == "sigmoid" else mu


class NearestPrototypeError(_PrototypeCriterion):
    """0-1 loss of the nearest-prototype rule (no gradient).

    Examples
    --------
    >>> import torch
    >>> error = NearestPrototypeError([0, 1])
    >>> error(torch.tensor([[1.0, 3.0], [1.0, 3.0]]), torch.tensor([0, 1]))
    tensor(0.5000)
    """

    def per_sample(self, distances, y):
        winners = self.prototype_labels[distances.argmin(1)]
        return (winners != y).to(distances.dtype)
