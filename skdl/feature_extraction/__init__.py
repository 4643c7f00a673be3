"""Classic image features for any scikit-learn model: HOG and color histograms.

Also the small image transformers a Pipeline needs around them (resizing,
grayscale conversion, deskewing). Every function and transformer here accepts the
image layouts of :func:`skdl.utils.check_images`.
"""

from .._lazy import attach

# each imported on first use: HOG needs torch, not OpenCV
__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_color_histogram": ["ColorHistogramTransformer", "color_histogram"],
        "_hog": ["HOGTransformer", "hog", "visualize_hog"],
        "_image_utils": ["GrayscaleConverter", "ImageDeskewer", "ImageResizer"],
    },
)
del attach  # builds the lazy imports; not a public name of the package
