"""The multi-layer perceptron module behind MLPClassifier and MLPRegressor."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ._activations import canonical_activation, make_activation

__all__ = ["MLPModule", "glorot_uniform_"]


def glorot_uniform_(linear: nn.Linear, activation: str) -> None:
    """Initialise a linear layer as scikit-learn's MLP does.

    Weights and biases are drawn uniformly from ``+-sqrt(factor / (fan_in +
    fan_out))``, with ``factor = 2`` for the logistic activation and 6 otherwise.

    Examples
    --------
    >>> from torch import nn
    >>> layer = nn.Linear(4, 2)
    >>> glorot_uniform_(layer, "relu")
    >>> bool(layer.weight.abs().max() <= 1.0)
    True
    """
    factor = 2.0 if canonical_activation(activation) == "logistic" else 6.0
    bound = math.sqrt(factor / (linear.in_features + linear.out_features))
    with torch.no_grad():
        linear.weight.uniform_(-bound, bound)
        linear.bias.uniform_(-bound, bound)


class MLPModule(nn.Sequential):
    """Fully connected network: ``[Linear -> (BatchNorm) -> activation -> (Dropout)]*``.

    The last layer is a plain ``Linear`` that returns logits (or raw regression
    outputs); the estimator applies the output function.

    Parameters
    ----------
    n_features : int
        Width of the input.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer.
    n_outputs : int
        Width of the output layer.
    activation : str, default='relu'
        Name of the hidden activation (see ``skdl.modules.ACTIVATIONS``).
    dropout : float, default=0.0
        Dropout probability after each hidden activation.
    batch_norm : bool, default=False
        Add ``BatchNorm1d`` between each hidden linear layer and its activation.

    Examples
    --------
    >>> import torch
    >>> module = MLPModule(4, (8, 8), 3)
    >>> module(torch.zeros(5, 4)).shape
    torch.Size([5, 3])
    """

    def __init__(
        self,
        n_features: int,
        hidden_layer_sizes: Sequence[int],
        n_outputs: int,
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
    ):
        layers: list[nn.Module] = []
        width = n_features
        for size in hidden_layer_sizes:
            linear = nn.Linear(width, size)
            glorot_uniform_(linear, activation)
            layers.append(linear)
            if batch_norm:
                layers.append(nn.BatchNorm1d(size))
            layers.append(make_activation(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        output = nn.Linear(width, n_outputs)
        glorot_uniform_(output, activation)
        layers.append(output)
        super().__init__(*layers)

    def linear_layers(self) -> list[nn.Linear]:
        """The linear layers, input to output (``coefs_`` are their weights)."""
        return [layer for layer in self if isinstance(layer, nn.Linear)]
