"""The multi-layer perceptron module behind MLPClassifier and MLPRegressor."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from ._activations import make_activation
from ._layers import initialize_, per_layer_activations, per_layer_rates

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
    initialize_(linear, "glorot_uniform", activation)


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
    activation : str or sequence of str, default='relu'
        Name of the hidden activation (see ``skdl.modules.ACTIVATIONS``), or one
        name per hidden layer.
    dropout : float or sequence of float, default=0.0
        Dropout probability after each hidden activation, or one per hidden layer.
    batch_norm : bool, default=False
        Add ``BatchNorm1d`` between each hidden linear layer and its activation.
    use_bias : bool, default=True
        Whether the hidden linear layers have a bias (the output layer always
        has one).
    kernel_initializer : str or None, default='glorot_uniform'
        How the linear layers start (see :func:`skdl.modules.initialize_`);
        'glorot_uniform' is scikit-learn's initialisation, None PyTorch's.

    Examples
    --------
    >>> import torch
    >>> module = MLPModule(4, (8, 8), 3, activation=["tanh", "relu"], dropout=[0.5, 0])
    >>> module
    MLPModule(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): Tanh()
      (2): Dropout(p=0.5, inplace=False)
      (3): Linear(in_features=8, out_features=8, bias=True)
      (4): ReLU()
      (5): Linear(in_features=8, out_features=3, bias=True)
    )
    >>> module(torch.zeros(5, 4)).shape
    torch.Size([5, 3])
    """

    def __init__(
        self,
        n_features: int,
        hidden_layer_sizes: Sequence[int],
        n_outputs: int,
        activation: str | Sequence[str] = "relu",
        dropout: float | Sequence[float] = 0.0,
        batch_norm: bool = False,
        use_bias: bool = True,
        kernel_initializer: str | None = "glorot_uniform",
    ):
        n_hidden = len(hidden_layer_sizes)
        activations = per_layer_activations(
            activation, n_hidden, "activation", "hidden layers"
        )
        rates = per_layer_rates(dropout, n_hidden, "dropout", "hidden layers")
        layers: list[nn.Module] = []
        width = n_features
        for size, name, rate in zip(
            hidden_layer_sizes, activations, rates, strict=True
        ):
            linear = nn.Linear(width, size, bias=use_bias)
            initialize_(linear, kernel_initializer, name)
            layers.append(linear)
            if batch_norm:
                layers.append(nn.BatchNorm1d(size))
            layers.append(make_activation(name))
            if rate > 0:
                layers.append(nn.Dropout(rate))
            width = size
        output = nn.Linear(width, n_outputs)
        # scikit-learn scales the output layer's weights by the hidden activation
        last = activation if isinstance(activation, str) else (activations or ["relu"])
        initialize_(
            output, kernel_initializer, last if isinstance(last, str) else last[-1]
        )
        layers.append(output)
        super().__init__(*layers)

    def linear_layers(self) -> list[nn.Linear]:
        """The linear layers, input to output (``coefs_`` are their weights)."""
        return [layer for layer in self if isinstance(layer, nn.Linear)]
