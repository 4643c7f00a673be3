"""Color histograms, batched, with the exact counts of ``cv2.calcHist``.

Each pixel's value ``v`` in a channel with range ``[low, high)`` and ``bins``
bins falls in bin ``floor(v * bins / (high - low) - low * bins / (high - low))``
(clipped to the valid bins), computed in float64 from float32 range ends, and is
counted only when ``low <= v < high`` in every channel: the rule of OpenCV's
``calcHist`` with uniform ranges. For 8-bit images the bin of each of the 256
values is computed once per channel; the histograms of a whole batch then come
from one ``bincount`` over per-image offset keys. From 1024 pixels per image on,
8-bit and float32 images are counted by ``cv2.calcHist`` itself, image by image:
its per-pixel cost is lower, and the cost per call is then small in comparison.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import cv2
import numpy as np

from ..utils._docstrings import fill_doc
from ..utils._sklearn import StrOptions, validate_params
from ._base import (
    LAYOUT_CONSTRAINTS,
    ImageTransformer,
    check_output_size,
    read_images,
)

__all__ = ["ColorHistogramTransformer", "color_histogram"]

_CONVERSIONS = {
    "rgb": None,
    "hsv": cv2.COLOR_RGB2HSV,
    "lab": cv2.COLOR_RGB2Lab,
    "gray": cv2.COLOR_RGB2GRAY,
}


def _above(value: float) -> float:
    """The next float32 after ``value``: a half-open range that includes it."""
    return float(np.nextafter(np.float32(value), np.float32(np.inf)))


# value ranges of each color space after OpenCV's conversion, for 8-bit images
# and for float images in [0, 1]
_DEFAULT_RANGES = {
    ("rgb", "uint8"): [(0.0, 256.0)] * 3,
    ("hsv", "uint8"): [(0.0, 180.0), (0.0, 256.0), (0.0, 256.0)],
    ("lab", "uint8"): [(0.0, 256.0)] * 3,
    ("gray", "uint8"): [(0.0, 256.0)],
    ("rgb", "float"): [(0.0, _above(1.0))] * 3,
    ("hsv", "float"): [(0.0, 360.0), (0.0, _above(1.0)), (0.0, _above(1.0))],
    ("lab", "float"): [(0.0, _above(100.0))] + [(-127.0, _above(127.0))] * 2,
    ("gray", "float"): [(0.0, _above(1.0))],
}

# values per image: 256 bins per channel give every 8-bit value its own bin, and
# the joint 256 x 256 x 256 histogram (the largest cv2.calcHist computes of 8-bit
# images) already takes 64 MiB per image as float32; more bins than that would
# be empty for 8-bit images, and would take gigabytes for a batch of images
MAX_HISTOGRAM_VALUES = 256**3
_HISTOGRAM_LIMIT = "of the joint 256 x 256 x 256 histogram of 8-bit colors"

# pixels per bincount batch: the keys stay in the CPU's cache
_BATCH_PIXELS = 2**16
# from this many pixels per image on, one cv2.calcHist call per image beats the
# batched bincount (whose cost per pixel is higher, but per image lower)
_CALC_HIST_PIXELS = 1024

_COLOR_HISTOGRAM_CONSTRAINTS: dict = {
    "bins": [Integral, tuple, list],
    "color_space": [StrOptions(set(_CONVERSIONS))],
    "joint": ["boolean"],
    "ranges": [tuple, list, None],
    "normalize": [StrOptions({"l1", "l2"}), None],
}


@validate_params(
    {
        "images": ["array-like", "sparse matrix"],
        **_COLOR_HISTOGRAM_CONSTRAINTS,
        **LAYOUT_CONSTRAINTS,
    },
    prefer_skip_nested_validation=True,
)
def color_histogram(
    images,
    *,
    bins: int | tuple[int, ...] = 8,
    color_space: str = "rgb",
    joint: bool = True,
    ranges=None,
    normalize: str | None = "l1",
    image_shape: tuple[int, ...] | str | None = None,
    data_format: str = "channels_last",
) -> np.ndarray:
    """Color histogram of each image, with the counts of ``cv2.calcHist``.

    Read more in the :ref:`User Guide <image_features>`.

    Parameters
    ----------
    images : array-like
        Flat rows ``(n_samples, n_features)`` read with ``image_shape``,
        grayscale ``(n_samples, height, width)``, or ``(n_samples, height,
        width, channels)`` (``(n_samples, channels, height, width)`` with
        ``data_format='channels_first'``). Color images are RGB (reverse the
        channel axis of OpenCV's BGR images first). Pixels are 8-bit values
        0-255 (any integer dtype) or floats in [0, 1].
    bins : int or tuple of int, default=8
        Bins per channel (after the color conversion); a tuple gives each
        channel its own.
    color_space : {'rgb', 'hsv', 'lab', 'gray'}, default='rgb'
        Convert RGB images with ``cv2.cvtColor`` first. 'gray' also takes
        one-channel images as they are; the others need three channels.
    joint : bool, default=True
        One joint histogram over all channels (``prod(bins)`` values: counts
        of color combinations) if True, else one histogram per channel,
        concatenated (``sum(bins)`` values).
    ranges : (float, float), sequence of such pairs, or None, default=None
        Half-open value range ``[low, high)`` per channel, split into equal
        bins; values outside are not counted (as in ``cv2.calcHist``). One
        pair applies to every channel. None uses the range of the color space:
        for 8-bit images [0, 256) per channel, except hue [0, 180); for float
        images [0, 1] (1.0 included), hue [0, 360), L [0, 100], a and b
        [-127, 127].
    normalize : {'l1', 'l2'} or None, default='l1'
        Divide each image's histogram (with ``joint=False``, the concatenated
        channel histograms together) by its sum ('l1', so that it sums to 1
        whatever the image size) or its Euclidean norm ('l2'); None keeps the
        counts.
    image_shape : tuple, 'auto' or None, default=None
        Shape of one image for flat rows: ``(height, width)`` or with the
        channels; None or 'auto' reads square grayscale rows.
    data_format : {'channels_last', 'channels_first'}, default='channels_last'
        Where the channel axis of 4-D input and of ``image_shape`` is.

    Returns
    -------
    histograms : ndarray of shape (n_samples, n_bins)
        float64 for float64 images, float32 otherwise. With ``joint=True``
        the bins are ordered as a C-ordered array of shape ``bins``.

    Raises
    ------
    ValueError
        If the channel count does not fit ``color_space``, ``bins`` or
        ``ranges`` do not fit the channels, 8-bit integer images hold values
        outside 0-255, float images with the default ranges hold values
        outside [0, 1], or the histogram would have more than ``256**3``
        values per image (the joint histogram of 8-bit colors, 64 MiB per
        image as float32).

    See Also
    --------
    ColorHistogramTransformer : The same as a scikit-learn transformer.

    Examples
    --------
    >>> import numpy as np
    >>> from skdl.feature_extraction import color_histogram
    >>> rng = np.random.default_rng(0)
    >>> images = rng.integers(0, 256, size=(2, 16, 16, 3), dtype=np.uint8)
    >>> color_histogram(images, bins=4).shape
    (2, 64)
    >>> color_histogram(images, bins=(4, 2, 2), joint=False, normalize=None)[0]
    array([ 67.,  61.,  71.,  57., 133., 123., 126., 130.], dtype=float32)
    """
    spec = _HistogramSpec(color_space, bins, joint, ranges, normalize)
    images = read_images(
        images,
        image_shape=image_shape,
        data_format=data_format,
        owner="color_histogram",
        channels=spec.channels(),
    )
    return spec.compute(images, owner="color_histogram")


@fill_doc
class ColorHistogramTransformer(ImageTransformer):
    """Color histograms of images, with the counts of ``cv2.calcHist``.

    A scikit-learn transformer around :func:`color_histogram`: each image
    becomes its (joint or per-channel) histogram in the chosen color space. The
    transformer learns nothing; :meth:`fit` checks the parameters and records
    the image shape, which :meth:`transform` then requires. Read more in the
    :ref:`User Guide <image_features>`.

    Parameters
    ----------
    bins : int or tuple of int, default=8
        Bins per channel (after the color conversion); a tuple gives each
        channel its own.
    color_space : {'rgb', 'hsv', 'lab', 'gray'}, default='rgb'
        Convert RGB images with ``cv2.cvtColor`` first. 'gray' also takes
        one-channel images as they are; the others need three channels.
    joint : bool, default=True
        One joint histogram over all channels (``prod(bins)`` values) if True,
        else one per channel, concatenated (``sum(bins)`` values). Either may
        have at most ``256**3`` values per image: :meth:`fit` refuses more.
    ranges : (float, float), sequence of such pairs, or None, default=None
        Half-open value range ``[low, high)`` per channel; values outside are
        not counted. None uses the range of the color space (see
        :func:`color_histogram`): 8-bit images 0-255, float images [0, 1].
    normalize : {'l1', 'l2'} or None, default='l1'
        Divide each image's histogram (with ``joint=False``, the concatenated
        channel histograms together) by its sum or its Euclidean norm; None
        keeps the counts.
    ${image_layout_parameters}

    Attributes
    ----------
    image_shape_ : tuple of (height, width, channels)
        Shape of the images seen in :term:`fit`.

    n_features_in_ : int
        Number of values per image seen during :term:`fit`
        (``height * width * channels``).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X` has
        feature names that are all strings.

    See Also
    --------
    color_histogram : The function this transformer calls.
    HOGTransformer : Gradient-orientation features, far better for shapes.

    Examples
    --------
    >>> import numpy as np
    >>> from skdl.feature_extraction import ColorHistogramTransformer
    >>> rng = np.random.default_rng(0)
    >>> images = rng.integers(0, 256, size=(5, 8, 8, 3), dtype=np.uint8)
    >>> features = ColorHistogramTransformer(bins=4, color_space="hsv").fit_transform(
    ...     images
    ... )
    >>> features.shape, features.sum(axis=1).round(6)
    ((5, 64), array([1., 1., 1., 1., 1.], dtype=float32))
    """

    _parameter_constraints: dict = {
        **ImageTransformer._parameter_constraints,
        **_COLOR_HISTOGRAM_CONSTRAINTS,
    }

    def __init__(
        self,
        bins: int | tuple[int, ...] = 8,
        *,
        color_space: str = "rgb",
        joint: bool = True,
        ranges=None,
        normalize: str | None = "l1",
        image_shape: tuple[int, ...] | str | None = None,
        data_format: str = "channels_last",
    ):
        self.bins = bins
        self.color_space = color_space
        self.joint = joint
        self.ranges = ranges
        self.normalize = normalize
        self.image_shape = image_shape
        self.data_format = data_format

    def _spec(self) -> _HistogramSpec:
        return _HistogramSpec(
            self.color_space,
            self.bins,
            self.joint,
            self.ranges,
            self.normalize,
            owner=type(self).__name__,
        )

    def _channels(self):
        return self._spec().channels()

    def _n_output_features(self, shape):
        return self._spec().n_features()

    def _check_values(self, images):
        self._spec()._checked(images, type(self).__name__)

    def _transform(self, images, ndim):
        return self._spec().compute(images, owner=type(self).__name__)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class _HistogramSpec:
    """The histogram parameters, checked: bins and ranges per channel."""

    def __init__(
        self, color_space, bins, joint, ranges, normalize, owner="color_histogram"
    ):
        self.color_space = color_space
        self.joint = joint
        self.normalize = normalize
        n_channels = 1 if color_space == "gray" else 3
        self.bins = _per_channel_bins(bins, n_channels, color_space)
        self.ranges = (
            None if ranges is None else _per_channel_ranges(ranges, n_channels)
        )
        check_output_size(
            self.n_features(),
            owner=owner,
            what=" x ".join(map(str, self.bins)) + " joint bins"
            if joint
            else " + ".join(map(str, self.bins)) + " bins",
            advice="Lower bins"
            + (", or set joint=False (one histogram per channel)." if joint else "."),
            limit=MAX_HISTOGRAM_VALUES,
            why=_HISTOGRAM_LIMIT,
        )

    def channels(self) -> tuple[int, ...]:
        return (1, 3) if self.color_space == "gray" else (3,)

    def n_features(self) -> int:
        return math.prod(self.bins) if self.joint else sum(self.bins)

    def compute(self, images: np.ndarray, *, owner: str) -> np.ndarray:
        out_dtype = np.float64 if images.dtype == np.float64 else np.float32
        images = np.ascontiguousarray(self._checked(images, owner))
        n, height, width, _ = images.shape
        if self._converts(images) and images.dtype != np.uint8:
            images = images.astype(np.float32, copy=False)  # what OpenCV converts
        kind = "uint8" if images.dtype == np.uint8 else "float"
        ranges = self.ranges or _DEFAULT_RANGES[(self.color_space, kind)]
        size = self.n_features()
        hist = np.empty((n, size), dtype=out_dtype)
        if height * width >= _CALC_HIST_PIXELS and images.dtype in (
            np.uint8,
            np.float32,
        ):
            # image by image, converted and counted while it is in the cache
            calls = self._calc_hist_calls(ranges)
            for i in range(n):
                image = self._converted(images[i : i + 1])[0]
                start = 0
                for channels, sizes, bounds in calls:
                    counts = cv2.calcHist([image], channels, None, sizes, bounds)
                    hist[i, start : start + counts.size] = counts.ravel()
                    start += counts.size
            return _normalized(hist, self.normalize)
        images = self._converted(images)
        pixels = images.reshape(n, -1, images.shape[-1])
        batch = max(1, _BATCH_PIXELS // pixels.shape[1])
        if kind == "uint8":
            tables = self._tables(ranges, size)
            for start in range(0, n, batch):
                keys = _gather_keys(
                    pixels[start : start + batch], tables, self.joint, size
                )
                hist[start : start + batch] = _count(keys, size)
        else:
            for start in range(0, n, batch):
                keys = self._float_keys(pixels[start : start + batch], ranges, size)
                hist[start : start + batch] = _count(keys, size)
        return _normalized(hist, self.normalize)

    def _converts(self, images) -> bool:
        return _CONVERSIONS[self.color_space] is not None and images.shape[-1] > 1

    def _checked(self, images, owner):
        """8-bit images as uint8; raise for values outside the default ranges."""
        converts = self._converts(images)
        if images.dtype == np.uint8:
            pass  # 8-bit values, nothing to check
        elif not np.issubdtype(images.dtype, np.floating):
            low, high = images.min(), images.max()
            if 0 <= low and high <= 255:
                images = images.astype(np.uint8, copy=False)
            elif converts or self.ranges is None:
                raise ValueError(
                    f"{owner} reads integer images as 8-bit values 0-255; got values "
                    f"from {low} to {high}. Scale them to 0-255 or to floats in "
                    "[0, 1], or (without a color conversion) set ranges."
                )
        elif self.ranges is None:
            low, high = images.min(), images.max()
            if low < 0 or high > 1:
                raise ValueError(
                    f"{owner} reads float images as values in [0, 1]; got values "
                    f"from {low:.4g} to {high:.4g}. Divide 8-bit values by 255 "
                    "(or pass them as uint8), or set ranges for your values."
                )
        return images

    def _converted(self, images):
        """Contiguous uint8 or float32 images in the color space."""
        if not self._converts(images):
            return images
        n, height, width, channels = images.shape
        flat = images.reshape(n * height, width, channels)
        converted = cv2.cvtColor(flat, _CONVERSIONS[self.color_space])
        return converted.reshape(n, height, width, -1)

    def _calc_hist_calls(self, ranges) -> list[tuple]:
        """The ``(channels, histSize, ranges)`` of the ``cv2.calcHist`` calls."""
        if self.joint:
            flat = [float(v) for pair in ranges for v in pair]
            return [(list(range(len(self.bins))), list(self.bins), flat)]
        return [
            ([c], [n_bins], [float(low), float(high)])
            for c, (n_bins, (low, high)) in enumerate(
                zip(self.bins, ranges, strict=True)
            )
        ]

    def _tables(self, ranges, size):
        """Per channel, the key part of each of the 256 values (``size``: none)."""
        strides = _strides(self.bins) if self.joint else np.ones(len(self.bins), int)
        starts = np.zeros(len(self.bins), int) if self.joint else _starts(self.bins)
        values = np.arange(256, dtype=np.float64)
        tables = []
        for c, (n_bins, (low, high)) in enumerate(zip(self.bins, ranges, strict=True)):
            index, inside = _bin_index(values, n_bins, low, high)
            key = starts[c] + index * strides[c]
            tables.append(np.where(inside, key, size).astype(np.int32))
        return tables

    def _float_keys(self, pixels, ranges, size):
        strides = _strides(self.bins)
        starts = _starts(self.bins)
        keys = []
        for c, (n_bins, (low, high)) in enumerate(zip(self.bins, ranges, strict=True)):
            index, inside = _bin_index(
                pixels[..., c].astype(np.float64), n_bins, low, high
            )
            if self.joint:
                keys.append(np.where(inside, index * strides[c], size))
            else:
                keys.append(np.where(inside, starts[c] + index, size))
        if self.joint:
            return np.minimum(sum(keys), size).astype(np.int32)
        return np.stack(keys, axis=-1).astype(np.int32)


def _gather_keys(pixels: np.ndarray, tables, joint: bool, size: int) -> np.ndarray:
    """Histogram keys of 8-bit pixels ``(n, n_pixels, channels)``."""
    if not joint:
        return np.stack(
            [table.take(pixels[..., c]) for c, table in enumerate(tables)], axis=-1
        )
    keys = tables[0].take(pixels[..., 0])
    for c in range(1, len(tables)):
        keys += tables[c].take(pixels[..., c])
    if any(table.max() == size for table in tables):
        # a pixel out of range in any channel goes to the spare slot
        np.minimum(keys, size, out=keys)
    return keys


def _count(keys: np.ndarray, size: int) -> np.ndarray:
    """Histograms from keys ``(n, ...)`` in ``[0, size]``; slot ``size`` is dropped."""
    n = keys.shape[0]
    flat = keys.reshape(n, -1) + (np.arange(n, dtype=np.int64) * (size + 1))[:, None]
    counts = np.bincount(flat.ravel(), minlength=n * (size + 1))
    return counts.reshape(n, size + 1)[:, :size]


def _bin_index(values, n_bins, low, high):
    """The bin ``calcHist`` gives each value, and whether it counts the value."""
    scale = n_bins / (high - low)
    index = np.floor(values * scale - low * scale)
    index = np.clip(index, 0, n_bins - 1).astype(np.int64)
    return index, (values >= low) & (values < high)


def _strides(bins) -> np.ndarray:
    return np.cumprod((*bins[1:], 1)[::-1])[::-1]


def _starts(bins) -> np.ndarray:
    return np.concatenate(([0], np.cumsum(bins)[:-1]))


def _normalized(hist: np.ndarray, normalize) -> np.ndarray:
    if normalize is None:
        return hist
    if normalize == "l1":
        norm = hist.sum(axis=1, keepdims=True)
    else:
        norm = np.sqrt(np.square(hist).sum(axis=1, keepdims=True))
    np.divide(hist, norm, out=hist, where=norm > 0)
    return hist


def _per_channel_bins(bins, n_channels, color_space) -> tuple[int, ...]:
    values = (bins,) * n_channels if isinstance(bins, Integral) else tuple(bins)
    if len(values) != n_channels or not all(
        isinstance(b, Integral) and not isinstance(b, bool) and b >= 1 for b in values
    ):
        raise ValueError(
            f"bins must be a positive int or {n_channels} positive ints (one per "
            f"channel of color_space={color_space!r}); got {bins!r}."
        )
    return tuple(int(b) for b in values)


def _per_channel_ranges(ranges, n_channels) -> list[tuple[float, float]]:
    pairs = list(ranges)
    if len(pairs) == 2 and all(isinstance(v, Real) for v in pairs):
        pairs = [tuple(pairs)] * n_channels
    checked = []
    for pair in pairs:
        pair = tuple(pair) if isinstance(pair, tuple | list) else ()
        if (
            len(pair) != 2
            or not all(isinstance(v, Real) and np.isfinite(v) for v in pair)
            or not pair[0] < pair[1]
        ):
            checked = None
            break
        # calcHist takes float32 range ends
        with np.errstate(over="ignore"):  # refused below
            low, high = float(np.float32(pair[0])), float(np.float32(pair[1]))
        if not (np.isfinite(low) and np.isfinite(high)):
            raise ValueError(
                f"ranges {pair} lie beyond float32's range "
                f"({np.finfo(np.float32).max:.3g}), in which the histogram (as "
                "cv2.calcHist) takes its range ends. Scale the images (and the "
                "ranges) down first."
            )
        if not low < high:
            raise ValueError(
                f"ranges {pair} become ({low}, {high}) in float32, the precision "
                "in which the histogram (as cv2.calcHist) takes its range ends, "
                "and so hold no value. Widen the range, or scale the images so "
                "that their values span a wider one."
            )
        checked.append((low, high))
    if not checked or len(checked) != n_channels:
        raise ValueError(
            "ranges must be a pair (low, high) with low < high, or one such pair "
            f"per channel ({n_channels} here); got {ranges!r}."
        )
    return checked
