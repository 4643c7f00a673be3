"""Small image transformers for Pipelines: resize, grayscale, deskew.

Each returns images in the layout it was given (flat rows stay flat rows, 3-D
stays 3-D, 4-D stays 4-D in its ``data_format``), so that they chain in front of
:class:`HOGTransformer`, :class:`ColorHistogramTransformer` or a CNN. OpenCV does
the pixel work: color conversion and deskewing take the whole batch stacked along
the row axis in one call; resizing takes one call per image, which is what
``cv2.resize`` gives image by image.
"""

from __future__ import annotations

from numbers import Integral

import cv2
import numpy as np

from ..utils._docstrings import fill_doc
from ..utils._images import as_supported_dtype
from ..utils._sklearn import Interval, StrOptions
from ._base import ImageTransformer, as_layout

__all__ = ["GrayscaleConverter", "ImageDeskewer", "ImageResizer"]

_INTERPOLATIONS = {
    "nearest": cv2.INTER_NEAREST,
    "linear": cv2.INTER_LINEAR,
    "area": cv2.INTER_AREA,
    "cubic": cv2.INTER_CUBIC,
    "lanczos": cv2.INTER_LANCZOS4,
}
# cv2.remap takes images of fewer than 32767 (SHRT_MAX) rows and columns
_MAX_ROWS = 32766
_MAX_COLUMNS = 32766
# cv2.resize's pixel-area interpolation takes at most 4 channels
_AREA_MAX_CHANNELS = 4
# OpenCV's arrays hold at most CV_CN_MAX channels: 128 in OpenCV 5 (512 in 4.x)
_CV_MAX_CHANNELS = 128


def _opencv_dtype(images: np.ndarray, supported) -> np.ndarray:
    """Images in a dtype OpenCV handles: kept if supported, else float32/64."""
    return as_supported_dtype(images, supported, library="OpenCV")


@fill_doc
class ImageResizer(ImageTransformer):
    """Resize images with ``cv2.resize``.

    Parameters
    ----------
    size : int or (int, int)
        Output ``(height, width)``; an int for square images. (Note the order:
        ``cv2.resize`` takes ``(width, height)``.)
    interpolation : {'area', 'linear', 'nearest', 'cubic', 'lanczos'}, default='area'
        OpenCV's interpolation: 'area' (pixel-area averaging) is best for
        shrinking, 'linear' or 'cubic' for enlarging. 'area' takes images of
        at most 4 channels; the others take any number (more than 128, the
        most OpenCV's arrays hold, are resized in groups of 128 channels).
    ${image_layout_parameters}

    Attributes
    ----------
    ${image_attributes}

    Notes
    -----
    The output has the layout of the input: flat rows of ``height * width *
    channels`` values, ``(n, height, width)`` or 4-D in ``data_format``. The
    dtype is kept for uint8, uint16, int16, float32 and float64 images; other
    dtypes come back as float32 (float64 for 8-byte types).

    Examples
    --------
    >>> from skdl.datasets import load_digit_sheet
    >>> from skdl.feature_extraction import ImageResizer
    >>> images = load_digit_sheet().images[:4]
    >>> ImageResizer((28, 28)).fit_transform(images).shape
    (4, 28, 28)
    >>> flat = images.reshape(4, -1)
    >>> ImageResizer(10, image_shape=(20, 20)).fit_transform(flat).shape
    (4, 100)
    """

    _parameter_constraints: dict = {
        **ImageTransformer._parameter_constraints,
        "size": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "interpolation": [StrOptions(set(_INTERPOLATIONS))],
    }

    def __init__(
        self,
        size: int | tuple[int, int],
        *,
        interpolation: str = "area",
        image_shape: tuple[int, ...] | str | None = None,
        data_format: str = "channels_last",
    ):
        self.size = size
        self.interpolation = interpolation
        self.image_shape = image_shape
        self.data_format = data_format

    def _output_size(self) -> tuple[int, int]:
        size = self.size
        pair = (size, size) if isinstance(size, Integral) else tuple(size)
        if len(pair) != 2 or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s >= 1 for s in pair
        ):
            raise ValueError(
                "size must be a positive int or a pair of positive ints "
                f"(height, width); got {size!r}."
            )
        return int(pair[0]), int(pair[1])

    def _check_image_size(self, shape):
        if self.interpolation == "area" and shape[2] > _AREA_MAX_CHANNELS:
            raise ValueError(
                f"ImageResizer with interpolation='area' takes images of at most "
                f"{_AREA_MAX_CHANNELS} channels (cv2.resize's INTER_AREA); got "
                f"{shape[2]} channels (one image has shape {tuple(shape)}, height x "
                "width x channels). Use interpolation='linear', or resize groups "
                "of at most 4 channels separately."
            )

    def _n_output_features(self, shape):
        height, width = self._output_size()
        return height * width * shape[2]

    def _transform(self, images, ndim):
        height, width = self._output_size()
        images = _opencv_dtype(
            images, (np.uint8, np.uint16, np.int16, np.float32, np.float64)
        )
        n, _, _, channels = images.shape
        flag = _INTERPOLATIONS[self.interpolation]
        # one call per image: cv2.resize takes at most CV_CN_MAX channels, and
        # its rounding depends on the channel count, so stacking images along
        # the channels would change the result; more channels than OpenCV's
        # arrays hold are resized in groups of that many
        resized = np.empty((n, height, width, channels), dtype=images.dtype)
        for i, image in enumerate(images):
            for start in range(0, channels, _CV_MAX_CHANNELS):
                group = slice(start, start + _CV_MAX_CHANNELS)
                part = image if channels <= _CV_MAX_CHANNELS else image[..., group]
                out = cv2.resize(
                    np.ascontiguousarray(part), (width, height), interpolation=flag
                )
                resized[i, ..., group] = out.reshape(height, width, -1)
        return as_layout(resized, ndim, self.data_format)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


@fill_doc
class GrayscaleConverter(ImageTransformer):
    """Convert RGB (or RGBA) images to grayscale with ``cv2.cvtColor``.

    Gray is ``0.299 R + 0.587 G + 0.114 B`` (OpenCV's ``COLOR_RGB2GRAY``; the
    alpha channel of RGBA images is dropped). One-channel images pass through
    unchanged.

    Parameters
    ----------
    image_shape : tuple, 'auto' or None, default=None
        Shape of one image for flat rows: ``(height, width, channels)`` (or
        ``(channels, height, width)`` with ``data_format='channels_first'``);
        None or 'auto' reads square grayscale rows.
    data_format : {'channels_last', 'channels_first'}, default='channels_last'
        Where the channel axis of 4-D input and of ``image_shape`` is.

    Attributes
    ----------
    ${image_attributes}

    Notes
    -----
    The output keeps the layout of the input with one channel: flat rows of
    ``height * width`` values, ``(n, height, width)``, or 4-D with a channel
    axis of length 1. uint8, uint16, float32 and float64 images keep their
    dtype (float64 is converted in float32 precision); other dtypes come back as
    float32.

    Examples
    --------
    >>> import numpy as np
    >>> from skdl.feature_extraction import GrayscaleConverter
    >>> rgb = np.zeros((2, 4, 4, 3), dtype=np.uint8)
    >>> rgb[..., 0] = 255
    >>> gray = GrayscaleConverter().fit_transform(rgb)
    >>> gray.shape, int(gray[0, 0, 0, 0])
    ((2, 4, 4, 1), 76)
    """

    def __init__(
        self,
        *,
        image_shape: tuple[int, ...] | str | None = None,
        data_format: str = "channels_last",
    ):
        self.image_shape = image_shape
        self.data_format = data_format

    def _channels(self):
        return (1, 3, 4)

    def _n_output_features(self, shape):
        return shape[0] * shape[1]

    def _transform(self, images, ndim):
        n, height, width, channels = images.shape
        if channels == 1:
            return as_layout(images.copy(), ndim, self.data_format)
        dtype = images.dtype
        images = _opencv_dtype(images, (np.uint8, np.uint16, np.float32))
        code = cv2.COLOR_RGB2GRAY if channels == 3 else cv2.COLOR_RGBA2GRAY
        flat = np.ascontiguousarray(images).reshape(n * height, width, channels)
        gray = cv2.cvtColor(flat, code).reshape(n, height, width, 1)
        if dtype == np.float64:
            gray = gray.astype(np.float64)
        return as_layout(gray, ndim, self.data_format)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


@fill_doc
class ImageDeskewer(ImageTransformer):
    """Straighten slanted handwriting with a shear, as OpenCV's digits sample.

    The slant of each grayscale image is ``mu11 / mu02``, from its second-order
    central moments (pixel values as weights, as ``cv2.moments``); the image is
    sheared horizontally about its middle row to remove it (bilinear
    interpolation, zero outside the image). Images whose ``|mu02| < 0.01``
    (blank) are left as they are. This is the ``deskew`` step of OpenCV's
    ``digits.py`` sample, done for the whole batch in one ``cv2.remap`` call.

    Parameters
    ----------
    ${image_layout_parameters}

    Attributes
    ----------
    ${image_attributes}

    Notes
    -----
    Only grayscale images (one channel), at most 32766 pixels wide (the
    limit of ``cv2.remap``; any height). The output has the layout and dtype
    of the input (uint8, uint16, int16, float32 and float64 are kept; other
    dtypes come back as float32, or float64 for 8-byte types).

    Examples
    --------
    >>> import numpy as np
    >>> from skdl.feature_extraction import ImageDeskewer
    >>> slanted = np.zeros((1, 8, 8), dtype=np.uint8)
    >>> for row in range(8):
    ...     slanted[0, row, 7 - row] = 255
    >>> upright = ImageDeskewer().fit_transform(slanted)
    >>> np.nonzero(upright[0].max(axis=0))[0].tolist()
    [3]
    """

    def __init__(
        self,
        *,
        image_shape: tuple[int, ...] | str | None = None,
        data_format: str = "channels_last",
    ):
        self.image_shape = image_shape
        self.data_format = data_format

    def _channels(self):
        return 1

    def _n_output_features(self, shape):
        return shape[0] * shape[1]

    def _check_image_size(self, shape):
        if shape[1] > _MAX_COLUMNS:
            raise ValueError(
                f"ImageDeskewer takes images of at most {_MAX_COLUMNS} columns "
                f"(cv2.remap's limit); got images {shape[1]} pixels wide (one "
                f"image has shape {tuple(shape)}, height x width x channels). "
                "Crop or shrink them first (e.g. with ImageResizer)."
            )

    def _transform(self, images, ndim):
        images = _opencv_dtype(
            images[..., 0], (np.uint8, np.uint16, np.int16, np.float32, np.float64)
        )
        n, height, width = images.shape
        rows = np.arange(height, dtype=np.float64)
        cols = np.arange(width, dtype=np.float64)
        # source column of each output pixel: x + skew * (y - height / 2)
        shift = _skew(images)[:, None] * (rows[None, :] - 0.5 * height)
        map_x = (cols[None, None, :] + shift[:, :, None]).astype(np.float32)
        map_x = map_x.reshape(n * height, width)
        stacked = np.ascontiguousarray(images).reshape(n * height, width)
        out = np.empty_like(stacked)
        # the shear moves each row along itself: rows are independent (each
        # reads its own row, map_y holds whole numbers), so a call may take
        # part of an image; whole images where they fit
        step = (
            max(1, _MAX_ROWS // height) * height if height <= _MAX_ROWS else _MAX_ROWS
        )
        for start in range(0, n * height, step):
            chunk = slice(start, start + step)
            n_rows = len(stacked[chunk])
            map_y = np.broadcast_to(
                np.arange(n_rows, dtype=np.float32)[:, None], (n_rows, width)
            )
            out[chunk] = cv2.remap(
                stacked[chunk],
                map_x[chunk],
                np.ascontiguousarray(map_y),
                interpolation=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=0,
            )
        return as_layout(out.reshape(n, height, width, 1), ndim, self.data_format)


def _skew(images: np.ndarray) -> np.ndarray:
    """``mu11 / mu02`` of each image, 0 where ``|mu02| < 0.01`` (as OpenCV)."""
    weights = images.astype(np.float64)
    _, height, width = images.shape
    rows = np.arange(height, dtype=np.float64)
    cols = np.arange(width, dtype=np.float64)
    mass = weights.sum(axis=(1, 2))
    safe = np.where(mass > 0, mass, 1)
    row_mean = np.einsum("nyx,y->n", weights, rows) / safe
    col_mean = np.einsum("nyx,x->n", weights, cols) / safe
    d_row = rows[None, :] - row_mean[:, None]
    d_col = cols[None, :] - col_mean[:, None]
    mu11 = np.einsum("nyx,ny,nx->n", weights, d_row, d_col)
    mu02 = np.einsum("nyx,ny->n", weights, d_row**2)
    upright = np.abs(mu02) < 1e-2
    return np.where(upright, 0.0, mu11 / np.where(upright, 1, mu02))
