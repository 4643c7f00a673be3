"""Neural-network estimators trained with PyTorch."""

from ._mlp import MLPClassifier, MLPRegressor
from ._rbm import DBNTransformer, RBMTransformer

__all__ = ["DBNTransformer", "MLPClassifier", "MLPRegressor", "RBMTransformer"]
