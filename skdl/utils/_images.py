"""Bring the image layouts users pass into one: ``(n, height, width, channels)``.

Every estimator and transformer that takes images (``CNNClassifier``, the HOG and
color-histogram transformers, the image utilities) calls :func:`check_images`, so
they all accept the same inputs and say the same thing when the input is wrong.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from .._warnings import external_stacklevel
from ._validation import (
    as_array,
    check_float32_range,
    check_x_fits_float32,
    is_memory_mapped,
    validate_data,
)

__all__ = [
    "RESIZE_ADVICE",
    "ImageInput",
    "ImageInputMixin",
    "as_supported_dtype",
    "check_images",
    "validate_images",
]

RESIZE_ADVICE = (
    "Bring them to one size first, image by image (e.g. with cv2.resize or "
    "skimage.transform.resize), or pad them to the largest."
)


def check_images(
    X,
    *,
    image_shape=None,
    data_format: str = "channels_last",
    owner: str = "This estimator",
    ensure_finite: bool = True,
    channels: int | tuple[int, ...] | None = None,
    expected_shape: tuple[int, int, int] | None = None,
) -> np.ndarray:
    """Validate images and return them as ``(n_samples, height, width, channels)``.

    Parameters
    ----------
    X : array-like
        One of

        - 2-D ``(n_samples, n_features)``: flat rows, reshaped with ``image_shape``;
        - 3-D ``(n_samples, height, width)``: grayscale images;
        - 4-D ``(n_samples, height, width, channels)`` when ``data_format`` is
          ``'channels_last'``, ``(n_samples, channels, height, width)`` when it is
          ``'channels_first'``.
    image_shape : tuple, 'auto' or None, default=None
        Shape of one image, to reshape flat rows: ``(height, width)`` for
        grayscale, ``(height, width, channels)`` (``'channels_last'``) or
        ``(channels, height, width)`` (``'channels_first'``) for color. One entry
        may be -1, inferred from the row length as in :func:`numpy.reshape`
        (``(1, -1)`` reads each row as a one-pixel-high image). ``'auto'`` (or
        None) accepts square grayscale rows only. 3-D and 4-D images carry
        their shape: a tuple given with them must describe it.
    data_format : {'channels_last', 'channels_first'}, default='channels_last'
        Where the channel axis of 4-D input and of ``image_shape`` is.
    owner : str, default='This estimator'
        Name used in error messages.
    ensure_finite : bool, default=True
        Raise if a float image holds NaN or infinity.
    channels : int, tuple of int or None, default=None
        The channel counts the caller accepts; None accepts any.
    expected_shape : tuple of (height, width, channels) or None, default=None
        The image shape an estimator was fitted on; images of another shape
        raise an error that shows both.

    Returns
    -------
    ndarray of shape (n_samples, height, width, channels)
        A view of ``X`` where possible; the dtype is kept (uint8 stays uint8),
        except that bool images become float32 0.0 and 1.0, True being full
        intensity as in float images.

    Raises
    ------
    ValueError
        If the layout cannot be read as images, with a message that says what to
        change.
    TypeError
        If ``X`` is sparse or not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> from skdl.utils import check_images
    >>> check_images(np.zeros((5, 64)), image_shape=(8, 8)).shape
    (5, 8, 8, 1)
    >>> check_images(np.zeros((5, 3, 8, 8)), data_format="channels_first").shape
    (5, 8, 8, 3)
    >>> check_images(np.zeros((5, 10)), image_shape=(1, -1)).shape
    (5, 1, 10, 1)
    >>> check_images(np.zeros((5, 8, 8)), channels=3)
    Traceback (most recent call last):
    ...
    ValueError: This estimator needs images with 3 channels; got 1 channel ...
    """
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "data_format must be 'channels_last' or 'channels_first'; "
            f"got {data_format!r}."
        )
    if sp.issparse(X):
        raise TypeError(
            f"{owner} takes dense images; got a sparse matrix. Convert it with "
            "X.toarray() first."
        )
    X = as_array(X, owner=owner, sample="image", advice=RESIZE_ADVICE)
    if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise TypeError(
            f"{owner} takes numeric images; got an array of dtype {X.dtype}."
        )
    if np.iscomplexobj(X):  # as scikit-learn refuses complex X
        raise ValueError(
            f"{owner} takes real pixel values; got complex numbers (dtype "
            f"{X.dtype}). Pass the part that holds the image, X.real or np.abs(X)."
        )
    if X.dtype == bool:  # True is full intensity, as in a [0, 1] float image
        X = X.astype(np.float32)
    if X.ndim == 2:
        X = X.reshape((X.shape[0], *_row_shape(X.shape[1], image_shape, owner)))
    elif X.ndim in (3, 4):
        _check_image_shape_describes(X.shape[1:], image_shape, data_format, owner)
    if X.ndim == 3:
        X = X[..., np.newaxis]
    elif X.ndim == 4:
        if data_format == "channels_first":
            X = np.moveaxis(X, 1, -1)
        height, width, n_channels = X.shape[1:]
        if n_channels > 4 and 0 < min(height, width) <= 4:
            other = "first" if data_format == "channels_last" else "last"
            warnings.warn(
                f"{owner} reads images of {height}x{width} pixels with "
                f"{n_channels} channels (data_format={data_format!r}). If the "
                f"channels come {other}, set data_format='channels_{other}'.",
                UserWarning,
                stacklevel=external_stacklevel(),
            )
    else:
        raise ValueError(
            f"{owner} expects images as a 2-D array of flat rows, 3-D "
            "(n_samples, height, width) or 4-D (n_samples, height, width, channels); "
            f"got an array with shape {X.shape}."
        )
    if X.shape[0] == 0:
        raise ValueError(
            f"{owner} got 0 images (shape {X.shape}); at least 1 is required."
        )
    if min(X.shape[1:3]) < 1 or X.shape[3] < 1:
        raise ValueError(f"{owner} got images of empty size {X.shape[1:]}.")
    _check_channels(X.shape[1:], channels, owner)
    if expected_shape is not None and X.shape[1:] != tuple(expected_shape):
        # both shapes in the caller's layout
        order, axes = (0, 1, 2), "height, width, channels"
        if data_format == "channels_first":
            order, axes = (2, 0, 1), "channels, height, width"
        expected = tuple(int(expected_shape[i]) for i in order)
        got = tuple(int(X.shape[1:][i]) for i in order)
        raise ValueError(
            f"{owner} was fitted on images of shape {expected} ({axes}); got "
            f"images of shape {got}. Give it images of the size and channel "
            "count seen in fit."
        )
    if ensure_finite and np.issubdtype(X.dtype, np.floating):
        if not np.isfinite(X).all():
            what = "NaN" if np.isnan(X).any() else "infinity"
            raise ValueError(
                f"Input X contains {what}. {owner} needs finite pixel values; "
                "impute or drop those images first."
            )
    return X


def as_supported_dtype(
    images: np.ndarray, supported: tuple, *, library: str
) -> np.ndarray:
    """``images`` in a dtype that ``library`` computes with.

    Parameters
    ----------
    images : ndarray
        Numeric images (or any array).
    supported : tuple of dtype
        The dtypes ``library`` takes, in the machine's byte order.
    library : str
        Its name, for the error message (e.g. ``'OpenCV'``).

    Returns
    -------
    ndarray
        ``images`` itself if its dtype is supported; otherwise the values in the
        machine's byte order if that dtype is supported, else as float32 (as
        float64 for dtypes of more than 4 bytes, where float64 is supported).

    Raises
    ------
    ValueError
        If the values do not fit the float type they are converted to.

    Examples
    --------
    >>> import numpy as np
    >>> as_supported_dtype(np.zeros(2, ">u2"), (np.uint16,), library="x").dtype
    dtype('uint16')
    >>> as_supported_dtype(np.zeros(2, np.longdouble), (np.float64,), library="x").dtype
    dtype('float64')
    """
    if images.dtype in supported:
        return images
    if not images.dtype.isnative:  # e.g. read from a big-endian file
        images = images.astype(images.dtype.newbyteorder("="))
        if images.dtype in supported:
            return images
    wide = images.dtype.itemsize > 4 and np.float64 in supported
    advice = f"{library} computes. Scale the images first (e.g. to [0, 1])."
    if not wide:
        check_float32_range(images, subject="Images hold", advice=advice)
        return images.astype(np.float32)
    with np.errstate(over="ignore"):  # refused below
        converted = images.astype(np.float64)
    if not np.isfinite(converted).all():  # long doubles beyond float64's range
        raise ValueError(
            f"Images hold values beyond float64's range "
            f"({np.finfo(np.float64).max:.3g}), in which {advice}"
        )
    return converted


def _check_channels(shape, channels, owner):
    if channels is None:
        return
    allowed = (channels,) if isinstance(channels, numbers.Integral) else channels
    if shape[2] in allowed:
        return
    wanted = " or ".join(str(c) for c in allowed)
    wanted += " channel" if allowed == (1,) else " channels"
    got = "1 channel" if shape[2] == 1 else f"{shape[2]} channels"
    raise ValueError(
        f"{owner} needs images with {wanted}; got {got} (one image "
        f"has shape {shape}, height x width x channels). For flat rows, set "
        "image_shape to a 3-tuple that includes the channels."
    )


def _check_image_shape_describes(shape, image_shape, data_format, owner):
    """Refuse an ``image_shape`` tuple that disagrees with images given as 3-D or
    4-D arrays of one image ``shape`` each (in ``data_format``'s order).
    """
    if not _image_shape_describes(shape, image_shape, data_format):
        raise ValueError(
            f"{owner} got images of shape {tuple(shape)}, which image_shape="
            f"{image_shape!r} does not describe. image_shape is for flat rows: "
            "leave it None for 3-D and 4-D arrays, or make it match."
        )


def _image_shape_describes(shape, image_shape, data_format) -> bool:
    """Whether an ``image_shape`` parameter (None and 'auto' describe any image)
    gives images of ``shape`` (in ``data_format``'s order) from flat rows.
    """
    if image_shape is None or isinstance(image_shape, str):
        return True

    def with_channels(dims):
        dims = tuple(dims)
        if len(dims) == 2:
            return (1, *dims) if data_format == "channels_first" else (*dims, 1)
        return dims

    try:
        described = with_channels(_row_shape(math.prod(shape), image_shape, ""))
    except ValueError:
        return False
    return described == with_channels(shape)


def _row_shape(n_features, image_shape, owner):
    if image_shape is None or (isinstance(image_shape, str) and image_shape == "auto"):
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ValueError(
                f"{owner} got flat rows of {n_features} features, which is not a "
                f"square grayscale image, so image_shape={image_shape!r} (square "
                "grayscale rows) cannot tell the image size: set "
                "image_shape=(height, width) or (height, width, channels)."
            )
        return (side, side)
    shape = tuple(image_shape) if isinstance(image_shape, tuple | list) else ()
    if (
        len(shape) not in (2, 3)
        or not all(
            isinstance(s, numbers.Integral)
            and not isinstance(s, bool)
            and s >= -1
            and s != 0
            for s in shape
        )
        or shape.count(-1) > 1
    ):
        raise ValueError(
            "image_shape must be (height, width) or a 3-tuple with the channels, "
            f"of positive ints (one may be -1); got {image_shape!r}."
        )
    if -1 in shape:
        known = -math.prod(shape)
        if n_features % known:
            raise ValueError(
                f"image_shape={shape} needs a multiple of {known} features per "
                f"row, got {n_features}."
            )
        shape = tuple(n_features // known if s == -1 else s for s in shape)
    if math.prod(shape) != n_features:
        raise ValueError(
            f"image_shape={shape} needs {math.prod(shape)} features per row, "
            f"got {n_features}."
        )
    # a 3-tuple follows data_format; the 4-D branch of check_images moves the axis
    return shape


class ImageInput(NamedTuple):
    """What :func:`validate_images` returns."""

    images: np.ndarray  # (n_samples, height, width, channels)
    ndim: int  # of the input: 2 for flat rows, 3 or 4 for images
    dtype: np.dtype  # of the input's pixels (bool stays bool)
    y: object  # as scikit-learn's validate_data returns it, or None


def validate_images(
    estimator, X, y="no_validation", *, reset: bool, channels=None
) -> ImageInput:
    """Check the images (and labels) of an estimator with ``image_shape`` and
    ``data_format``, in every layout :func:`check_images` reads.

    Flat rows go through scikit-learn's ``validate_data`` first (feature names,
    the feature count, its message for 1-D input), then become images of
    ``image_shape`` at fit and of the fitted shape after; 3-D and 4-D images are
    checked against ``image_shape_`` after fit, then validated as flat rows
    (which sets ``n_features_in_`` and checks ``y``). ``channels`` restricts
    the channel counts (see :func:`check_images`). Sets ``image_shape_``
    (height, width, channels) when ``reset``.
    """
    owner = type(estimator).__name__
    if sp.issparse(X):
        raise TypeError(
            f"{owner} takes dense images; got a sparse matrix. Convert it with "
            "X.toarray() first."
        )
    with_y = not (isinstance(y, str) and y == "no_validation")
    labels = {"y": y, "multi_output": True} if with_y else {}
    # np.ndim would dispatch to __array_function__ of array-likes
    if isinstance(X, np.ndarray) or not hasattr(X, "ndim"):  # arrays, lists
        X = as_array(X, owner=owner, sample="image", advice=RESIZE_ADVICE)
    layout = {"data_format": estimator.data_format, "owner": owner}
    if X.ndim <= 2:
        out = validate_data(estimator, X, dtype="numeric", reset=reset, **labels)
        X = out[0] if with_y else out
        if reset:
            row_shape = estimator.image_shape
        else:  # the fitted shape, in the order of data_format
            height, width, n_channels = estimator.image_shape_
            row_shape = (
                (height, width, n_channels)
                if estimator.data_format == "channels_last"
                else (n_channels, height, width)
            )
        images = check_images(X, image_shape=row_shape, channels=channels, **layout)
    else:
        images = check_images(
            X,
            image_shape=estimator.image_shape if reset else None,
            channels=channels,
            expected_shape=None if reset else estimator.image_shape_,
            **layout,
        )
        flat = images.reshape(len(images), -1)
        # check_images checked the pixels: no second pass over them
        out = validate_data(
            estimator, flat, reset=reset, ensure_all_finite=False, **labels
        )
    if reset:
        estimator.image_shape_ = tuple(int(s) for s in images.shape[1:])
    # check_images reads bool as float32
    dtype = X.dtype if isinstance(X, np.ndarray) else images.dtype
    return ImageInput(images, X.ndim, dtype, out[1] if with_y else None)


class ImageInputMixin:
    """Image input of an estimator with ``image_shape`` and ``data_format``.

    :meth:`_validate_images` takes every layout :func:`check_images` reads
    (through :func:`validate_images`) and returns ``(n, C, H, W)`` arrays in the
    float type asked for, multiplied by ``self._pixel_scale(dtype, reset=reset)``
    (default 1: unscaled).
    """

    def _validate_images(self, X, y="no_validation", *, reset, dtype):
        """Check images (and labels); return ``(n, C, H, W)`` in ``dtype`` (and y)."""
        with_y = not (isinstance(y, str) and y == "no_validation")
        images, _, input_dtype, y = validate_images(self, X, y, reset=reset)
        # the scale follows the dtype given
        scale = self._pixel_scale(input_dtype, reset=reset)
        if np.dtype(dtype) == np.float32:  # the cast would make infinities
            check_x_fits_float32(self, images)  # (check_images: finite)
        tensor_layout = images.transpose(0, 3, 1, 2)
        if is_memory_mapped(images) and images.dtype == dtype and scale == 1.0:
            # a view of the file, which training and inference read batch by
            # batch (HostRows): never copied whole
            return (tensor_layout, y) if with_y else tensor_layout
        tensor_layout = np.ascontiguousarray(tensor_layout, dtype=dtype)
        if scale != 1.0:
            tensor_layout = np.multiply(tensor_layout, scale, dtype=dtype)
        elif not tensor_layout.flags.writeable:
            tensor_layout = tensor_layout.copy()
        return (tensor_layout, y) if with_y else tensor_layout

    def _pixel_scale(self, dtype: np.dtype, *, reset: bool) -> float:
        """The factor for pixels of ``dtype`` (default: 1, pixels as given)."""
        return 1.0

    def _changed_input_params(self) -> list[str]:
        changed = super()._changed_input_params()
        if hasattr(self, "image_shape_"):  # images, not rows
            height, width, channels = self.image_shape_
            fitted = (
                (height, width, channels)
                if self.data_format == "channels_last"
                else (channels, height, width)
            )
            if not _image_shape_describes(fitted, self.image_shape, self.data_format):
                changed.append("image_shape")
        return changed
