"""Generative models that learn to draw new samples (each imported on first use)."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {"_gan": ["GANSampler"]})
del attach  # builds the lazy imports; not a public name of the package
