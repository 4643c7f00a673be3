"""Neural-network estimators trained with PyTorch."""

from ._cnn import CNNClassifier
from ._mlp import MLPClassifier, MLPRegressor
from ._rbm import DBNTransformer, RBMTransformer
from ._recurrent import LSTMClassifier, LSTMRegressor
from ._text import LSTMTextClassifier

__all__ = [
    "CNNClassifier",
    "DBNTransformer",
    "LSTMClassifier",
    "LSTMRegressor",
    "LSTMTextClassifier",
    "MLPClassifier",
    "MLPRegressor",
    "RBMTransformer",
]
