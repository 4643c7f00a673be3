"""Neural-network estimators trained with PyTorch."""

from ._mlp import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
