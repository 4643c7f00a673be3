"""Per-layer options shared by the MLP and CNN modules: initialisers, lists."""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

import numpy as np
import torch
from torch import nn

from ._activations import ACTIVATIONS, activation_hint, canonical_activation

__all__ = ["INITIALIZERS", "initialize_", "per_layer_activations", "per_layer_rates"]

#: The ``kernel_initializer`` names, as Keras calls them. Each fills a layer's
#: weights; the biases start at zero, except with 'glorot_uniform', which is
#: scikit-learn's scheme (see :func:`initialize_`).
INITIALIZERS = (
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "orthogonal",
    "zeros",
)


def _fans(weight: torch.Tensor) -> tuple[int, int]:
    receptive = math.prod(weight.shape[2:]) if weight.ndim > 2 else 1
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def initialize_(layer: nn.Module, name: str | None, activation: str = "relu") -> None:
    """Initialise a ``Linear`` or ``Conv2d`` layer in place by Keras' name.

    With ``fan_in`` and ``fan_out`` the inputs and outputs of one unit (times
    the kernel's area for a convolution):

    - 'glorot_uniform': scikit-learn's MLP initialisation, weights and biases
      uniform in ``+-sqrt(6 / (fan_in + fan_out))`` (2 instead of 6 for a
      'logistic' layer); Keras draws the weights alike and zeros the biases;
    - 'glorot_normal': normal, std ``sqrt(2 / (fan_in + fan_out))``;
    - 'he_uniform', 'he_normal': uniform in ``+-sqrt(6 / fan_in)``, normal with
      std ``sqrt(2 / fan_in)`` (for ReLU layers);
    - 'lecun_uniform', 'lecun_normal': uniform in ``+-sqrt(3 / fan_in)``, normal
      with std ``sqrt(1 / fan_in)`` (for SELU layers);
    - 'orthogonal': a (semi-)orthogonal weight matrix;
    - 'zeros': all weights zero (every unit of a layer then stays alike);
    - None: PyTorch's default, left as the layer was built.

    Every name but 'glorot_uniform' and None sets the bias to zero.

    Examples
    --------
    >>> from torch import nn
    >>> layer = nn.Linear(300, 100)
    >>> initialize_(layer, "he_normal")
    >>> round(layer.weight.std().item(), 2)  # sqrt(2 / 300)
    0.08
    >>> float(layer.bias.abs().max())
    0.0
    """
    if name is None:
        return
    weight, bias = layer.weight, layer.bias
    fan_in, fan_out = _fans(weight)
    with torch.no_grad():
        if name == "glorot_uniform":
            factor = 2.0 if canonical_activation(activation) == "logistic" else 6.0
            bound = math.sqrt(factor / (fan_in + fan_out))
            weight.uniform_(-bound, bound)
            if bias is not None:
                bias.uniform_(-bound, bound)
            return
        if name == "glorot_normal":
            weight.normal_(0.0, math.sqrt(2.0 / (fan_in + fan_out)))
        elif name == "he_uniform":
            bound = math.sqrt(6.0 / fan_in)
            weight.uniform_(-bound, bound)
        elif name == "he_normal":
            weight.normal_(0.0, math.sqrt(2.0 / fan_in))
        elif name == "lecun_uniform":
            bound = math.sqrt(3.0 / fan_in)
            weight.uniform_(-bound, bound)
        elif name == "lecun_normal":
            weight.normal_(0.0, math.sqrt(1.0 / fan_in))
        elif name == "orthogonal":
            nn.init.orthogonal_(weight)
        elif name == "zeros":
            weight.zero_()
        else:
            raise ValueError(
                f"kernel_initializer={name!r} is not one of {', '.join(INITIALIZERS)}"
                " or None."
            )
        if bias is not None:
            bias.zero_()


def _listed(value) -> bool:
    return isinstance(value, Sequence | np.ndarray) and not isinstance(value, str)


def per_layer_activations(value, n_layers: int, name: str, layers: str) -> list[str]:
    """One activation name per layer from a name or a list of ``n_layers`` names.

    ``layers`` says what the layers are, for the error ("hidden layers").

    Examples
    --------
    >>> per_layer_activations("relu", 2, "activation", "hidden layers")
    ['relu', 'relu']
    >>> per_layer_activations(["tanh", "sigmoid"], 2, "activation", "hidden layers")
    ['tanh', 'sigmoid']
    """
    values = list(value) if _listed(value) else [value] * n_layers
    if len(values) != n_layers:
        raise ValueError(
            f"{name}={value!r} has {len(values)} entries, but the network has "
            f"{n_layers} {layers}: give one activation per layer, or one name for "
            "all."
        )
    for entry in values:
        if not isinstance(entry, str) or canonical_activation(entry) not in ACTIVATIONS:
            raise ValueError(
                f"{name}={value!r} holds {entry!r}, which is not an activation. "
                + activation_hint(entry)
            )
    return values


def per_layer_rates(value, n_layers: int, name: str, layers: str) -> list[float]:
    """One dropout probability per layer from a number or a list of them.

    Examples
    --------
    >>> per_layer_rates(0.5, 2, "dropout", "hidden layers")
    [0.5, 0.5]
    >>> per_layer_rates([0.2, 0.0], 2, "dropout", "hidden layers")
    [0.2, 0.0]
    """
    values = list(value) if _listed(value) else [value] * n_layers
    if len(values) != n_layers:
        raise ValueError(
            f"{name}={value!r} has {len(values)} entries, but the network has "
            f"{n_layers} {layers}: give one probability per layer, or one number "
            "for all."
        )
    for entry in values:
        if isinstance(entry, bool) or not isinstance(entry, Real) or not 0 <= entry < 1:
            raise ValueError(
                f"{name}={value!r} holds {entry!r}; dropout probabilities are "
                "numbers in [0, 1)."
            )
    return [float(v) for v in values]
