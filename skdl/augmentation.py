"""Train-time image augmentation, batched on the device the images are on.

:class:`ImageAugmenter` takes the options of Keras' ``ImageDataGenerator`` and
applies random zooms, shears, rotations, shifts, flips and brightness changes to a
whole batch at once: one affine sampling grid per image, bilinear interpolation
with a gather on the batch's device. Given to ``CNNClassifier(augment=...)`` it
transforms each training batch and nothing else; :meth:`ImageAugmenter.transform`
returns augmented copies of a NumPy image array.
"""

from __future__ import annotations

import functools
import math
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator

from .utils import check_images, seed_from_random_state
from .utils._images import RESIZE_ADVICE
from .utils._sklearn import Interval, StrOptions
from .utils._validation import as_array

__all__ = ["ImageAugmenter"]

_FILL_MODES = ("nearest", "constant", "reflect", "wrap")

# float32 holds whole numbers exactly up to 2**24: larger shifts in pixels would
# put the sampling grid's coordinates where whole pixel positions are lost
_MAX_SHIFT = 2**24


class ImageAugmenter(BaseEstimator):
    """Random geometric and brightness transforms of image batches.

    The options and their meaning follow Keras' ``ImageDataGenerator``. Each
    image gets its own random draw of every enabled transform. An output pixel
    at ``p = (row, col)``, measured from the image center, takes the input value
    at::

        Z @ Sh @ R(-theta) @ (F @ p - t)

    interpolated bilinearly, where ``F`` flips (when drawn), ``t = (dy, dx)`` is
    the shift, ``R(-theta)`` undoes a counter-clockwise rotation by ``theta``
    degrees, ``Sh = [[1, -sin(s)], [0, cos(s)]]`` is Keras' shear by ``s``
    degrees and ``Z = diag(zy, zx)`` the zoom. In words: the image is zoomed,
    sheared, rotated counter-clockwise about its center, shifted right by ``dx``
    and down by ``dy``, then flipped; finally every pixel is multiplied by the
    brightness factor. Interpolation taps that fall outside the image are filled
    according to ``fill_mode``.

    Parameters
    ----------
    rotation_range : float or (float, float), default=0.0
        Rotation angle in degrees, counter-clockwise, drawn uniformly from
        ``[-rotation_range, rotation_range]`` or from the given ``(low, high)``
        (``(90, 90)`` always rotates by 90 degrees).

    width_shift_range : float, int or (low, high), default=0.0
        Horizontal shift (positive moves the content right). A float below 1 is
        a fraction of the width, drawn from ``[-r, r] * width``; a float of 1 or
        more is in pixels. An int ``r`` draws whole pixels from ``-r`` to ``r``,
        so shifted pixels are copied exactly. A pair of ints draws whole pixels
        from ``low`` to ``high``; a pair of floats draws from ``[low, high]``
        (times the width when both are below 1 in magnitude). Shifts in
        pixels may be at most ``2**24`` in magnitude.

    height_shift_range : float, int or (low, high), default=0.0
        Vertical shift (positive moves the content down), like
        ``width_shift_range``.

    shear_range : float or (float, float), default=0.0
        Shear angle in degrees (Keras' definition), drawn from
        ``[-shear_range, shear_range]`` or from ``(low, high)``.

    zoom_range : float or (float, float), default=0.0
        Zoom factors ``zx`` and ``zy``, drawn independently from
        ``[1 - zoom_range, 1 + zoom_range]`` or from ``(low, high)``. As in Keras
        the factor scales the sampling grid: below 1 zooms in, above 1 zooms out.

    horizontal_flip : bool, default=False
        Mirror each image left-right with probability 1/2.

    vertical_flip : bool, default=False
        Mirror each image upside down with probability 1/2.

    brightness_range : (float, float) or None, default=None
        Multiply each image by a factor drawn from ``[low, high]``; values are
        not clipped.

    fill_mode : {'nearest', 'constant', 'reflect', 'wrap'}, default='nearest'
        Values of the taps outside the image, for a row ``abcd``:
        'nearest' ``aaaa|abcd|dddd``, 'constant' ``kkkk|abcd|kkkk`` (``k`` is
        ``cval``), 'reflect' ``dcba|abcd|dcba``, 'wrap' ``abcd|abcd|abcd``.

    cval : float, default=0.0
        Fill value for ``fill_mode='constant'``, in the scale of the images
        being augmented (inside ``CNNClassifier``, after rescaling). It must be
        finite and within the range of the float type the images are augmented
        in (float32's, about 3.4e38, for all but float64 and wide integer images).

    random_state : int, RandomState instance or None, default=None
        Seeds the draws of :meth:`transform` (and of :meth:`augment` without a
        generator): with an int every call draws the same transforms. Inside
        ``CNNClassifier`` the draws come from the classifier's ``random_state``
        instead, a new stream for each fit, so every epoch sees new transforms.

    See Also
    --------
    skdl.CNNClassifier : Applies the augmenter to its training batches.

    Examples
    --------
    >>> import numpy as np
    >>> from skdl.augmentation import ImageAugmenter
    >>> images = np.arange(2 * 4 * 4, dtype=np.float32).reshape(2, 4, 4)
    >>> rotated = ImageAugmenter(rotation_range=(90, 90)).transform(images)
    >>> np.allclose(rotated, np.rot90(images, axes=(1, 2)))
    True
    """

    _parameter_constraints: dict = {
        "rotation_range": [Interval(Real, 0, None, closed="left"), "array-like"],
        "width_shift_range": [Interval(Real, 0, None, closed="left"), "array-like"],
        "height_shift_range": [Interval(Real, 0, None, closed="left"), "array-like"],
        "shear_range": [Interval(Real, 0, None, closed="left"), "array-like"],
        "zoom_range": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "horizontal_flip": ["boolean"],
        "vertical_flip": ["boolean"],
        "brightness_range": ["array-like", None],
        "fill_mode": [StrOptions(set(_FILL_MODES))],
        "cval": [Real],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        rotation_range=0.0,
        width_shift_range=0.0,
        height_shift_range=0.0,
        shear_range=0.0,
        zoom_range=0.0,
        horizontal_flip=False,
        vertical_flip=False,
        brightness_range=None,
        fill_mode="nearest",
        cval=0.0,
        random_state=None,
    ):
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.zoom_range = zoom_range
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.brightness_range = brightness_range
        self.fill_mode = fill_mode
        self.cval = cval
        self.random_state = random_state

    def transform(self, X, *, image_shape=None, data_format="channels_last"):
        """Return randomly augmented copies of images.

        Parameters
        ----------
        X : array-like
            Images in any layout that :func:`skdl.utils.check_images` reads:
            flat rows (with ``image_shape``), ``(n, height, width)`` or 4-D in
            ``data_format``.
        image_shape : tuple, 'auto' or None, default=None
            Shape of one image, for flat rows only.
        data_format : {'channels_last', 'channels_first'}, default='channels_last'
            Where the channel axis of 4-D input is.

        Returns
        -------
        ndarray
            Same shape and dtype as ``X``; integer images are rounded and
            clipped to their dtype's range. With no transform enabled, an
            exact copy of ``X``.

        Notes
        -----
        The images are transformed in float64 when they are float64 (or a wider
        float) or integers of 32 bits or more, which float32 cannot hold
        exactly; in float32 otherwise (float16, float32, bool and integers of 8
        and 16 bits, whose values float32 holds exactly), as ``CNNClassifier``
        augments its batches. Flips, whole-pixel shifts and right-angle
        rotations therefore give integer images back exactly, up to ``2**53``
        in magnitude for 64-bit integers; interpolated values carry that
        float type's rounding.
        """
        ranges = self._check_params()
        name = type(self).__name__
        if not sp.issparse(X):  # check_images says how to convert a sparse matrix
            X = as_array(X, owner=name, sample="image", advice=RESIZE_ADVICE)
        images = check_images(
            X, image_shape=image_shape, data_format=data_format, owner=name
        )
        if not any(ranges.values()):  # nothing enabled: the images as they are
            return X.copy()
        batch = torch.from_numpy(
            np.ascontiguousarray(
                images.transpose(0, 3, 1, 2), dtype=_compute_dtype(X.dtype)
            )
        )
        out = self.augment(batch).numpy().transpose(0, 2, 3, 1)
        if data_format == "channels_first":
            out = np.moveaxis(out, -1, 1)
        out = out.reshape(X.shape)
        if X.dtype.kind in "iu":
            limits = np.iinfo(X.dtype)
            out = np.maximum(np.rint(out), limits.min)
            # float(2**63 - 1) is 2**63, which the cast would wrap around
            top = out >= float(limits.max)
            out = np.where(top, 0, out).astype(X.dtype)
            out[top] = limits.max
            return out
        return out.astype(X.dtype)

    def augment(
        self, images: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Augment a batch of image tensors on their own device.

        Parameters
        ----------
        images : torch.Tensor of shape (n_images, channels, height, width)
            Floating-point images, on any device.
        generator : torch.Generator or None, default=None
            CPU generator for the random draws (so the same seed gives the same
            transforms on every device); None seeds one from ``random_state``.

        Returns
        -------
        torch.Tensor
            Augmented images, same shape, dtype and device (``images`` itself
            when no transform is enabled).
        """
        if generator is None:
            seed = seed_from_random_state(self.random_state)
            generator = torch.Generator().manual_seed(seed)
        return self._batch_transform(generator)(images)

    def _batch_transform(self, generator: torch.Generator):
        """Return a picklable function that augments batches from ``generator``.

        The parameters are validated here, once, not at every batch.
        """
        return functools.partial(
            _augment,
            ranges=self._check_params(),
            generator=generator,
            fill_mode=self.fill_mode,
            cval=float(self.cval),
        )

    def _check_params(self) -> dict:
        """Validate the parameters; return the enabled ranges as ``(low, high)``."""
        self._validate_params()
        if not math.isfinite(self.cval):
            raise ValueError(f"cval must be a finite number; got {self.cval!r}.")
        ranges = {
            "rotation": _pair(self.rotation_range, "rotation_range", symmetric=True),
            "shear": _pair(self.shear_range, "shear_range", symmetric=True),
            "shift_y": _pair(
                self.height_shift_range, "height_shift_range", symmetric=True
            ),
            "shift_x": _pair(
                self.width_shift_range, "width_shift_range", symmetric=True
            ),
        }
        zoom = self.zoom_range
        if np.ndim(zoom) == 0:
            ranges["zoom"] = (1.0 - zoom, 1.0 + zoom) if zoom else None
        else:
            low, high = _pair(zoom, "zoom_range", symmetric=False)
            if low <= 0:
                raise ValueError(
                    f"zoom_range must hold positive factors; got {tuple(zoom)}."
                )
            ranges["zoom"] = None if low == high == 1 else (low, high)
        if self.brightness_range is not None:
            low, high = _pair(
                self.brightness_range, "brightness_range", symmetric=False
            )
            if low < 0:
                raise ValueError(
                    "brightness_range must hold non-negative factors; got "
                    f"{tuple(self.brightness_range)}."
                )
            ranges["brightness"] = None if low == high == 1 else (low, high)
        else:
            ranges["brightness"] = None
        for key, name in (
            ("shift_y", "height_shift_range"),
            ("shift_x", "width_shift_range"),
        ):
            pair = ranges[key]
            if pair is not None and max(abs(pair[0]), abs(pair[1])) > _MAX_SHIFT:
                raise ValueError(
                    f"{name} must be at most 2**24 = {_MAX_SHIFT} pixels in "
                    "magnitude (beyond, the sampling grid's float32 coordinates "
                    f"lose whole pixel positions); got {getattr(self, name)!r}."
                )
        ranges["flip_x"] = self.horizontal_flip
        ranges["flip_y"] = self.vertical_flip
        return ranges


def _pair(value, name, symmetric):
    """``(low, high)`` from a number (``[-r, r]``) or a pair; None when 0."""
    if np.ndim(value) == 0:
        if not value:
            return None
        pair = (-value, value) if symmetric else (value, value)
    else:
        pair = tuple(np.asarray(value).tolist())
        if len(pair) != 2 or not all(
            isinstance(v, Real) and math.isfinite(v) for v in pair
        ):
            raise ValueError(
                f"{name} must be a number or a pair (low, high) of finite numbers; "
                f"got {value!r}."
            )
    if pair[0] > pair[1]:
        raise ValueError(f"{name}=(low, high) needs low <= high; got {value!r}.")
    if all(isinstance(v, Integral) for v in pair):
        return tuple(int(v) for v in pair)
    return tuple(float(v) for v in pair)


def _compute_dtype(dtype: np.dtype) -> type:
    """The float type :meth:`ImageAugmenter.transform` computes in for ``dtype``:
    float64 for floats wider than 32 bits and for integers of 32 bits or more
    (float32 holds integers exactly only up to 2**24), float32 otherwise.
    """
    if (dtype.itemsize >= 4 and dtype.kind in "iu") or dtype.itemsize > 4:
        return np.float64
    return np.float32


def _augment(images, *, ranges, generator, fill_mode, cval):
    n, _, height, width = images.shape
    if fill_mode == "constant" and images.is_floating_point():
        limit = torch.finfo(images.dtype).max
        if abs(cval) > limit:
            dtype = str(images.dtype).removeprefix("torch.")
            raise ValueError(
                f"cval={cval!r} is beyond the range of {dtype} ({limit:.3g}), in "
                "which these images are augmented; pass a cval within it."
            )
    draws = _draw(ranges, n, (height, width), generator)
    if draws is None:
        return images
    matrix, offset, brightness = _affine(draws, n, (height, width))
    out = images
    if matrix is not None:
        device = images.device
        # float64 coordinates for float64 images, so they keep their precision
        grid = torch.float64 if images.dtype == torch.float64 else torch.float32
        matrix = matrix.to(device, grid)
        out = _sample(images, matrix, offset.to(device, grid), fill_mode, cval)
    if brightness is not None:
        factor = brightness.to(images.device, images.dtype)
        out = out * factor.reshape(n, 1, 1, 1)
    return out


def _uniform(low, high, n, generator):
    return low + (high - low) * torch.rand(n, generator=generator, dtype=torch.float64)


def _draw(ranges, n, size, generator):
    """Per-image random parameters as float64 CPU tensors; None if nothing is on."""
    draws = {}
    for key in ("rotation", "shear"):
        if ranges[key] is not None:
            draws[key] = _uniform(*ranges[key], n, generator) * (math.pi / 180)
    if ranges["zoom"] is not None:
        draws["zoom"] = _uniform(*ranges["zoom"], 2 * n, generator).reshape(n, 2)
    for key, length in (("shift_y", size[0]), ("shift_x", size[1])):
        low_high = ranges[key]
        if low_high is None:
            continue
        low, high = low_high
        if isinstance(low, int):  # whole pixels
            shift = torch.randint(low, high + 1, (n,), generator=generator)
            draws[key] = shift.to(torch.float64)
        else:
            scale = length if max(abs(low), abs(high)) < 1 else 1
            draws[key] = _uniform(low, high, n, generator) * scale
    for key in ("flip_y", "flip_x"):
        if ranges[key]:
            draws[key] = torch.rand(n, generator=generator) < 0.5
    if ranges["brightness"] is not None:
        draws["brightness"] = _uniform(*ranges["brightness"], n, generator)
    return draws or None


def _affine(draws, n, size):
    """Output-to-input affine maps ``(n, 2, 2)``, offsets ``(n, 2)``, brightness."""
    brightness = draws.get("brightness")
    if draws.keys() <= {"brightness"}:
        return None, None, brightness
    eye = torch.eye(2, dtype=torch.float64).expand(n, 2, 2)
    matrix = eye.clone()
    if "zoom" in draws:
        matrix = torch.diag_embed(draws["zoom"])
    if "shear" in draws:
        s = draws["shear"]
        shear = eye.clone()
        shear[:, 0, 1] = -torch.sin(s)
        shear[:, 1, 1] = torch.cos(s)
        matrix = matrix @ shear
    if "rotation" in draws:  # R(-theta) in (row, col) coordinates
        theta = draws["rotation"]
        cos, sin = torch.cos(theta), torch.sin(theta)
        rotation = torch.stack([cos, sin, -sin, cos], dim=1).reshape(n, 2, 2)
        matrix = matrix @ rotation
    shift = torch.zeros(n, 2, dtype=torch.float64)
    shift[:, 0] = draws.get("shift_y", 0.0)
    shift[:, 1] = draws.get("shift_x", 0.0)
    flip = torch.ones(n, 2, dtype=torch.float64)
    for axis, key in ((0, "flip_y"), (1, "flip_x")):
        if key in draws:
            flip[:, axis] = 1.0 - 2.0 * draws[key].to(torch.float64)
    # input = M (F (p - c) - t) + c, with p in pixel coordinates and c the center
    center = torch.tensor([(size[0] - 1) / 2, (size[1] - 1) / 2], dtype=torch.float64)
    linear = matrix * flip[:, None, :]
    offset = center - linear @ center - (matrix @ shift[:, :, None])[:, :, 0]
    return linear, offset, brightness


def _taps(index, length, fill_mode):
    """Map integer tap positions into the image; also say which were inside."""
    inside = (index >= 0) & (index < length)
    if fill_mode == "wrap":
        index = torch.remainder(index, length)
    elif fill_mode == "reflect":  # half-sample symmetric: dcba|abcd|dcba
        index = torch.remainder(index, 2 * length)
        index = torch.where(index >= length, 2 * length - 1 - index, index)
    else:  # 'nearest', and 'constant' (outside taps are replaced by cval)
        index = index.clamp(0, length - 1)
    return index, inside


def _sample(images, matrix, offset, fill_mode, cval):
    """Bilinear sampling of each image at its affine map of the output grid."""
    n, channels, height, width = images.shape
    device = images.device
    rows = torch.arange(height, device=device, dtype=matrix.dtype)[:, None]
    cols = torch.arange(width, device=device, dtype=matrix.dtype)[None, :]
    source = [
        matrix[:, axis, 0, None, None] * rows
        + matrix[:, axis, 1, None, None] * cols
        + offset[:, axis, None, None]
        for axis in (0, 1)
    ]
    floor_r, floor_c = (torch.floor(s) for s in source)
    frac_r = (source[0] - floor_r).to(images.dtype)
    frac_c = (source[1] - floor_c).to(images.dtype)
    floor_r, floor_c = floor_r.long(), floor_c.long()
    flat = images.reshape(n, channels, height * width)
    out = torch.zeros_like(flat)
    for step_r, weight_r in ((0, 1 - frac_r), (1, frac_r)):
        index_r, inside_r = _taps(floor_r + step_r, height, fill_mode)
        for step_c, weight_c in ((0, 1 - frac_c), (1, frac_c)):
            index_c, inside_c = _taps(floor_c + step_c, width, fill_mode)
            index = (index_r * width + index_c).reshape(n, 1, -1)
            values = flat.gather(2, index.expand(n, channels, -1))
            if fill_mode == "constant":
                inside = (inside_r & inside_c).reshape(n, 1, -1)
                values = torch.where(inside, values, cval)
            out += values * (weight_r * weight_c).reshape(n, 1, -1)
    return out.reshape(n, channels, height, width)
