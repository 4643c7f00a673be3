"""Classic image features for any scikit-learn model: HOG and color histograms.

Also the small image transformers a Pipeline needs around them (resizing,
grayscale conversion, deskewing). Every function and transformer here accepts the
image layouts of :func:`skdl.utils.check_images`.
"""

from ._color_histogram import ColorHistogramTransformer, color_histogram
from ._hog import HOGTransformer, hog, visualize_hog
from ._image_utils import GrayscaleConverter, ImageDeskewer, ImageResizer

__all__ = [
    "ColorHistogramTransformer",
    "GrayscaleConverter",
    "HOGTransformer",
    "ImageDeskewer",
    "ImageResizer",
    "color_histogram",
    "hog",
    "visualize_hog",
]
