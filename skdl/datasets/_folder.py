"""Images from a folder with one subfolder per class (Keras' flow_from_directory)."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from sklearn.utils import Bunch

from ..utils._sklearn import validate_params

__all__ = ["load_image_folder"]

#: File name endings read as images (case-insensitive), those Keras reads.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".tif", ".tiff")

_INTERPOLATIONS = {
    "bilinear": cv2.INTER_LINEAR,
    "nearest": cv2.INTER_NEAREST,
    "bicubic": cv2.INTER_CUBIC,
    "area": cv2.INTER_AREA,
}
_COLOR_MODES = {"rgb": 3, "grayscale": 1, "rgba": 4}


@validate_params(
    {"path": [str, os.PathLike], "return_X_y": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_image_folder(
    path,
    *,
    image_size=None,
    color_mode="rgb",
    interpolation="bilinear",
    return_X_y=False,
):
    """Load the images of a folder that holds one subfolder per class.

    The layout of Keras' ``flow_from_directory`` and
    ``image_dataset_from_directory``::

        path/
            cats/  cat001.jpg  cat002.png ...
            dogs/  dog001.jpg ...

    Each subfolder is a class, named after it, in sorted order; its image files
    (the endings in ``IMAGE_EXTENSIONS``, any case) are read with OpenCV in
    sorted order, and other files, files directly in ``path`` and deeper
    folders are ignored. Every image is converted to ``color_mode`` and, with
    ``image_size``, resized. Nothing is shuffled: shuffle or stratify before
    splitting.

    Images of other pixel types than 8 bits (16-bit PNG, TIFF) are brought onto
    0..255 by their type, the same for every image, so that intensities stay
    comparable across files: unsigned integers are scaled by their type's
    maximum (65535 for 16 bits), signed integers by their type's range (its
    minimum onto 0, its maximum onto 255, as ImageJ reads signed 16-bit images
    with an offset of 32768), and floats are read as intensities in [0, 1], as
    :func:`skimage.util.img_as_ubyte` reads them, scaled by 255. A float image
    with values outside [0, 1] or NaN is refused, as no scale fits it.

    Parameters
    ----------
    path : str or path-like
        The folder of class subfolders.
    image_size : tuple of (int, int) or None, default=None
        ``(height, width)`` to resize every image to (Keras' ``target_size``).
        None keeps the images' size, which must then be the same for all.
    color_mode : {'rgb', 'grayscale', 'rgba'}, default='rgb'
        Channels of the images returned: 3 (red, green, blue, in this order,
        not OpenCV's BGR), 1 (the images are then 3-D, ``(n, height, width)``)
        or 4 (with alpha; opaque for images without one).
    interpolation : {'bilinear', 'nearest', 'bicubic', 'area'}, default='bilinear'
        How images are resized; 'area' averages pixels, the best for shrinking.
    return_X_y : bool, default=False
        Return ``(images, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``images`` (uint8, ``(n, height, width, channels)``, or ``(n,
        height, width)`` for 'grayscale'), ``data`` (the same, one flat row per
        image), ``target`` (int, the index of each image's class),
        ``target_names`` (the subfolder names), ``filenames`` (the path of each
        image) and ``DESCR``.
    (images, target) : tuple
        If ``return_X_y`` is True: the images as they are (not flat), which
        :class:`~skdl.CNNClassifier` takes as they are.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a folder.
    ValueError
        If it holds no class subfolders or no images, if a file cannot be read
        as an image (its path is named), if a float image holds values outside
        [0, 1], or if the images differ in size and no ``image_size`` is given.

    Examples
    --------
    >>> import os, tempfile
    >>> import cv2
    >>> import numpy as np
    >>> from skdl.datasets import load_image_folder
    >>> root = tempfile.mkdtemp()
    >>> for name, value in [("dark", 20), ("light", 230)]:
    ...     os.mkdir(os.path.join(root, name))
    ...     for i in range(3):
    ...         image = np.full((12, 16, 3), value + i, np.uint8)
    ...         _ = cv2.imwrite(os.path.join(root, name, f"{i}.png"), image)
    >>> folder = load_image_folder(root, image_size=(8, 8))
    >>> folder.images.shape, folder.target, folder.target_names.tolist()
    ((6, 8, 8, 3), array([0, 0, 0, 1, 1, 1]), ['dark', 'light'])
    """
    if color_mode not in _COLOR_MODES:
        raise ValueError(
            f"color_mode={color_mode!r} is not one of {sorted(_COLOR_MODES)}."
        )
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"interpolation={interpolation!r} is not one of {sorted(_INTERPOLATIONS)}."
        )
    if image_size is not None:
        if (
            not isinstance(image_size, tuple | list)
            or len(image_size) != 2
            or not all(
                isinstance(v, int | np.integer) and not isinstance(v, bool) and v > 0
                for v in image_size
            )
        ):
            raise ValueError(
                f"image_size={image_size!r} must be (height, width), two positive "
                "ints, or None to keep the images' size."
            )
        image_size = (int(image_size[0]), int(image_size[1]))
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"{os.fspath(path)!r} is not a folder.")
    classes = sorted(entry.name for entry in root.iterdir() if entry.is_dir())
    if not classes:
        raise ValueError(
            f"{os.fspath(path)!r} has no subfolders: put the images of each class "
            "in a subfolder named after the class (path/cats/*.jpg, path/dogs/*.jpg)."
        )
    files, target = [], []
    for index, name in enumerate(classes):
        for file in sorted((root / name).iterdir()):
            if file.is_file() and file.suffix.lower() in IMAGE_EXTENSIONS:
                files.append(file)
                target.append(index)
    if not files:
        raise ValueError(
            f"The subfolders of {os.fspath(path)!r} ({', '.join(classes)}) hold no "
            f"image files (endings {', '.join(IMAGE_EXTENSIONS)})."
        )
    images = [_read(file, color_mode, image_size, interpolation) for file in files]
    for file, image in zip(files, images, strict=True):
        if image.shape != images[0].shape:
            raise ValueError(
                f"The images differ in size: {files[0]} is {_size(images[0])} but "
                f"{file} is {_size(image)}. Pass image_size=(height, width) to "
                "resize them all."
            )
    images = np.stack(images)
    if color_mode == "grayscale":
        images = images[..., 0]
    target = np.asarray(target, dtype=np.int64)
    if return_X_y:
        return images, target
    return Bunch(
        images=images,
        data=images.reshape(len(images), -1),
        target=target,
        target_names=np.asarray(classes),
        filenames=np.asarray([os.fspath(file) for file in files]),
        DESCR=(
            f"Images of {len(classes)} classes read from the subfolders of "
            f"{os.fspath(path)!r} by skdl.datasets.load_image_folder."
        ),
    )


def _size(image) -> str:
    return f"{image.shape[0]}x{image.shape[1]} pixels"


def _read(file: Path, color_mode: str, image_size, interpolation: str) -> np.ndarray:
    """One image as ``(height, width, channels)`` uint8, in RGB(A) order."""
    try:
        raw = np.fromfile(file, dtype=np.uint8)  # any path, unlike cv2.imread
    except OSError as exc:
        raise ValueError(f"Could not read {file}: {exc}") from None
    image = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED) if raw.size else None
    if image is None:
        raise ValueError(
            f"Could not read {file} as an image: OpenCV cannot decode it (an empty, "
            "damaged or mislabelled file). Remove it from the folder or replace it."
        )
    image = _to_uint8(image, file)
    channels = 1 if image.ndim == 2 else image.shape[2]
    conversions = {
        ("rgb", 1): cv2.COLOR_GRAY2RGB,
        ("rgb", 3): cv2.COLOR_BGR2RGB,
        ("rgb", 4): cv2.COLOR_BGRA2RGB,
        ("grayscale", 3): cv2.COLOR_BGR2GRAY,
        ("grayscale", 4): cv2.COLOR_BGRA2GRAY,
        ("rgba", 1): cv2.COLOR_GRAY2RGBA,
        ("rgba", 3): cv2.COLOR_BGR2RGBA,
        ("rgba", 4): cv2.COLOR_BGRA2RGBA,
    }
    code = conversions.get((color_mode, channels))
    if code is not None:
        image = cv2.cvtColor(image, code)
    if image_size is not None and image.shape[:2] != image_size:
        height, width = image_size
        image = cv2.resize(
            image, (width, height), interpolation=_INTERPOLATIONS[interpolation]
        )
    return image.reshape(*image.shape[:2], -1)


def _to_uint8(image: np.ndarray, file: Path) -> np.ndarray:
    """``image`` of any pixel type onto 0..255, by its type (see load_image_folder).

    cv2.convertScaleAbs would fold negative values onto positive ones.
    """
    dtype = image.dtype
    if dtype == np.uint8:
        return image
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        scaled = (image.astype(np.float64) - info.min) * (255 / (info.max - info.min))
    elif dtype.kind == "f":
        low, high = float(np.min(image)), float(np.max(image))
        if not 0 <= low <= high <= 1:  # False for NaN, which min and max give
            values = "NaN" if np.isnan(low) else f"from {low:.4g} to {high:.4g}"
            raise ValueError(
                f"{file} holds {dtype} pixels {values}; "
                "load_image_folder reads float images as intensities in [0, 1] "
                "and returns uint8, so it cannot scale this one. Rescale the file "
                "to [0, 1] (or to an integer type), or read it yourself, e.g. with "
                "cv2.imread(path, cv2.IMREAD_UNCHANGED)."
            )
        scaled = image.astype(np.float64) * 255
    else:
        raise ValueError(
            f"{file} holds pixels of type {dtype}, which load_image_folder cannot "
            "bring onto 0..255; convert the file to 8 or 16 bits."
        )
    return np.rint(scaled).astype(np.uint8)
