"""Neural-network estimators trained with PyTorch."""

from ._mlp import MLPClassifier, MLPRegressor
from ._recurrent import LSTMClassifier, LSTMRegressor
from ._text import LSTMTextClassifier

__all__ = [
    "LSTMClassifier",
    "LSTMRegressor",
    "LSTMTextClassifier",
    "MLPClassifier",
    "MLPRegressor",
]
