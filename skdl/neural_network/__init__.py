"""Neural-network estimators trained with PyTorch (each imported on first use)."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_cnn": ["CNNClassifier", "CNNRegressor"],
        "_mlp": ["MLPClassifier", "MLPRegressor"],
        "_rbm": ["DBNTransformer", "RBMTransformer"],
        "_recurrent": ["LSTMClassifier", "LSTMRegressor"],
        "_text": ["LSTMTextClassifier"],
    },
)
del attach  # builds the lazy imports; not a public name of the package
