"""Neural-network estimators trained with PyTorch."""

from ._cnn import CNNClassifier
from ._mlp import MLPClassifier, MLPRegressor

__all__ = ["CNNClassifier", "MLPClassifier", "MLPRegressor"]
