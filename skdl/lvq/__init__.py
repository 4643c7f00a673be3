"""Learning vector quantization: prototype classifiers, classic and generalized."""

from ._lvq import LVQClassifier

__all__ = ["LVQClassifier"]
