"""skdl: deep learning that behaves like scikit-learn.

Estimators that own a PyTorch model and train it with skorch, on CPU or GPU, while
looking to scikit-learn like any other estimator: Pipelines, grid search,
cross-validation and pickling all work.
"""

__version__ = "0.1.0.dev0"

from .lvq import LVQClassifier
from .neural_network import CNNClassifier, MLPClassifier, MLPRegressor

__all__ = [
    "CNNClassifier",
    "LVQClassifier",
    "MLPClassifier",
    "MLPRegressor",
    "__version__",
]
