"""Activation functions by the names skdl's ``activation`` parameters take."""

from __future__ import annotations

import difflib

from torch import nn

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_ALIASES",
    "activation_hint",
    "canonical_activation",
    "make_activation",
]

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

#: Keras' (and PyTorch's) names for activations that skdl names as scikit-learn
#: does: each alias builds the same function as the name it maps to.
ACTIVATION_ALIASES = {
    "sigmoid": "logistic",
    "linear": "identity",
    "swish": "silu",
}

# names that are not hidden activations, with what to use instead
_NOT_HIDDEN = {
    "softmax": (
        "'softmax' is an output function, not a hidden activation: classifiers "
        "apply it to their outputs themselves (predict_proba); choose a hidden "
        "activation such as 'relu'"
    ),
}


def canonical_activation(name: str) -> str:
    """The skdl name of an activation given by its skdl or Keras name.

    Examples
    --------
    >>> canonical_activation("sigmoid")
    'logistic'
    >>> canonical_activation("relu")
    'relu'
    """
    return ACTIVATION_ALIASES.get(name, name)


def activation_hint(name) -> str:
    """A sentence that says which name to use instead of an unknown ``name``.

    Examples
    --------
    >>> activation_hint("softmax")[:36]
    "'softmax' is an output function, not"
    >>> activation_hint("rleu")
    "Did you mean 'relu'?"
    """
    if isinstance(name, str):
        if name.lower() in _NOT_HIDDEN:
            return _NOT_HIDDEN[name.lower()] + "."
        if canonical_activation(name.lower()) in ACTIVATIONS:
            return f"Names are lowercase: use {name.lower()!r}."
        close = difflib.get_close_matches(
            name, [*ACTIVATIONS, *ACTIVATION_ALIASES], n=1, cutoff=0.6
        )
        if close:
            return f"Did you mean {close[0]!r}?"
    return (
        "Keras' 'sigmoid', 'linear' and 'swish' are accepted as skdl's "
        "'logistic', 'identity' and 'silu'."
    )


def make_activation(name: str) -> nn.Module:
    """Return a fresh activation module for ``name``.

    ``name`` is a key of ``ACTIVATIONS`` or of ``ACTIVATION_ALIASES``.

    Examples
    --------
    >>> make_activation("relu")
    ReLU()
    >>> make_activation("sigmoid")
    Sigmoid()
    """
    canonical = canonical_activation(name) if isinstance(name, str) else name
    if not (isinstance(canonical, str) and canonical in ACTIVATIONS):
        raise ValueError(f"Unknown activation {name!r}. {activation_hint(name)}")
    return ACTIVATIONS[canonical]()
