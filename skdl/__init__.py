"""skdl: deep learning that behaves like scikit-learn.

Estimators that own a PyTorch model and train it with skorch, on CPU or GPU, while
looking to scikit-learn like any other estimator: Pipelines, grid search,
cross-validation and pickling all work.

The estimators are imported on first use: ``from skdl import MLPClassifier``
loads what the MLP needs and nothing else, with Python's cycle collector paused
while it loads (``gc.disable``, restored after; the import is a sixth faster).
"""

from ._lazy import attach

__version__ = "0.1.0.dev0"

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "autoencoder": ["AutoencoderTransformer"],
        "feature_extraction": [
            "ColorHistogramTransformer",
            "GrayscaleConverter",
            "HOGTransformer",
            "ImageDeskewer",
            "ImageResizer",
        ],
        "generative": ["GANSampler"],
        "language": ["LSTMLanguageModel", "NGramLanguageModel"],
        "lvq": ["LVQClassifier"],
        "memory": ["BoltzmannMachine", "HopfieldNetwork"],
        "neural_network": [
            "CNNClassifier",
            "CNNRegressor",
            "DBNTransformer",
            "LSTMClassifier",
            "LSTMRegressor",
            "LSTMTextClassifier",
            "MLPClassifier",
            "MLPRegressor",
            "RBMTransformer",
        ],
    },
)
__all__ += ["__version__"]
del attach  # builds the lazy imports; not a public name of the package
