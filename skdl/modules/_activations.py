"""Activation functions by the names skdl's ``activation`` parameters take."""

from torch import nn

__all__ = ["ACTIVATIONS", "make_activation"]

#: The ``activation`` names skdl accepts, each mapped to its ``torch.nn`` module class.
ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
    "prelu": nn.PReLU,
    "selu": nn.SELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "mish": nn.Mish,
}


def make_activation(name: str) -> nn.Module:
    """Return a fresh activation module for ``name`` (a key of ``ACTIVATIONS``).

    Examples
    --------
    >>> make_activation("relu")
    ReLU()
    """
    return ACTIVATIONS[name]()
