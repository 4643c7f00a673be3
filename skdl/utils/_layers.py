"""Validation of the architecture parameters that several estimators share."""

from __future__ import annotations

from ..modules._activations import ACTIVATION_ALIASES, ACTIVATIONS
from ._sklearn import StrOptions

__all__ = ["ActivationOptions"]


class ActivationOptions(StrOptions):
    """The ``activation`` names: skdl's, plus Keras' aliases (``'sigmoid'``...).

    Its text, which scikit-learn's parameter validation puts in the error for an
    unknown name, says what the Keras names become and that ``'softmax'`` is an
    output function.
    """

    def __init__(self):
        super().__init__(set(ACTIVATIONS) | set(ACTIVATION_ALIASES))

    def __str__(self):
        names = ", ".join(repr(name) for name in ACTIVATIONS)
        aliases = ", ".join(
            f"{alias!r} (= {name!r})" for alias, name in ACTIVATION_ALIASES.items()
        )
        return (
            f"a str among {{{names}}} or Keras' {aliases}; 'softmax' is an output "
            "function that classifiers apply themselves, not a hidden activation"
        )
