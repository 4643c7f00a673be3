"""Autoencoders: stacked, denoising and sparse, trained with PyTorch."""

from ._autoencoder import AutoencoderTransformer

__all__ = ["AutoencoderTransformer"]
