"""skdl: deep learning that behaves like scikit-learn.

Estimators that own a PyTorch model and train it with skorch, on CPU or GPU, while
looking to scikit-learn like any other estimator: Pipelines, grid search,
cross-validation and pickling all work.
"""

__version__ = "0.1.0.dev0"

from .feature_extraction import (
    ColorHistogramTransformer,
    GrayscaleConverter,
    HOGTransformer,
    ImageDeskewer,
    ImageResizer,
)
from .lvq import LVQClassifier
from .neural_network import (
    CNNClassifier,
    DBNTransformer,
    LSTMClassifier,
    LSTMRegressor,
    LSTMTextClassifier,
    MLPClassifier,
    MLPRegressor,
    RBMTransformer,
)

__all__ = [
    "CNNClassifier",
    "ColorHistogramTransformer",
    "DBNTransformer",
    "GrayscaleConverter",
    "HOGTransformer",
    "ImageDeskewer",
    "ImageResizer",
    "LSTMClassifier",
    "LSTMRegressor",
    "LSTMTextClassifier",
    "LVQClassifier",
    "MLPClassifier",
    "MLPRegressor",
    "RBMTransformer",
    "__version__",
]
