"""Loaders for the data that ships inside the skdl package."""

from __future__ import annotations

import hashlib
from importlib import resources

import cv2
import numpy as np
from sklearn.utils import Bunch

from ..utils._sklearn import validate_params

__all__ = ["load_digit_sheet"]

_DIGITS_SHA256 = "60c917758ef97cc090f35cd8e293e4de691ef942847da0ff80dedab33d57c662"

_DIGITS_DESCR = """\
OpenCV handwritten digits
-------------------------

5000 grayscale images of handwritten digits, 20x20 pixels, 500 of each digit 0-9,
cut from the sheet ``digits.png`` that OpenCV uses in its HOG + SVM and k-NN
samples. Pixels are ints 0 (background) to 255 (ink). The samples are ordered by
class (all zeros first): shuffle or stratify before splitting.

Source: OpenCV, samples/data/digits.png (https://github.com/opencv/opencv),
copied unmodified. License: Apache License 2.0. OpenCV does not document where the
digits come from.
"""


def _data_file(name: str):
    return resources.files("skdl.datasets").joinpath("data", name)


@validate_params({"return_X_y": ["boolean"]}, prefer_skip_nested_validation=True)
def load_digit_sheet(*, return_X_y: bool = False):
    """Load OpenCV's sheet of 5000 handwritten digits (20x20 pixels, 10 classes).

    =================   ==============
    Classes                         10
    Samples per class              500
    Samples total                 5000
    Dimensionality       400 (20 x 20)
    Features             ints 0 to 255
    =================   ==============

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data`` (uint8, shape (5000, 400), one flat image per row),
        ``images`` (uint8, shape (5000, 20, 20)), ``target`` (int, shape (5000,)),
        ``target_names``, ``feature_names`` and ``DESCR`` (source and license).
    (data, target) : tuple
        If ``return_X_y`` is True.

    Examples
    --------
    >>> from skdl.datasets import load_digit_sheet
    >>> digits = load_digit_sheet()
    >>> digits.images.shape, digits.target[:3]
    ((5000, 20, 20), array([0, 0, 0]))
    """
    raw = _data_file("digits.png").read_bytes()
    if hashlib.sha256(raw).hexdigest() != _DIGITS_SHA256:
        raise OSError(
            "skdl/datasets/data/digits.png does not match its checksum; "
            "reinstall skdl to restore it."
        )
    sheet = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_GRAYSCALE)
    images = sheet.reshape(50, 20, 100, 20).swapaxes(1, 2).reshape(-1, 20, 20)
    images = np.ascontiguousarray(images)
    return image_bunch(
        images,
        np.repeat(np.arange(10), 500),
        target_names=np.arange(10),
        descr=_DIGITS_DESCR,
        return_X_y=return_X_y,
        feature_names=[f"pixel_{r}_{c}" for r in range(20) for c in range(20)],
    )


def image_bunch(images, target, *, target_names, descr, return_X_y, **extra):
    """``(data, target)``, or a Bunch that also holds the images (and ``extra``).

    ``data`` is one flat row per image; ``target`` becomes int64.
    """
    target = np.asarray(target, dtype=np.int64)
    data = images.reshape(len(images), -1)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        images=images,
        target=target,
        target_names=target_names,
        DESCR=descr,
        **extra,
    )
