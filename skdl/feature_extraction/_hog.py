"""Histograms of oriented gradients (HOG), batched, equal to scikit-image's.

The descriptor is :func:`skimage.feature.hog` with ``feature_vector=True``,
computed for a whole batch of images at once with tensor arithmetic (on a GPU
when ``device`` names one):

1. optional square-root (gamma) compression of the pixel values;
2. central-difference gradients along rows and columns, zero on the image
   border; for color images, each pixel keeps the channel with the largest
   gradient magnitude;
3. gradient magnitude and unsigned orientation in degrees, ``[0, 180)``;
4. per cell, the sum of the magnitudes of the pixels whose orientation falls in
   each of ``orientations`` equal bins, divided by the cell's area; pixels right
   of or below the last whole cell are not used;
5. per block of ``cells_per_block`` cells (a dense, overlapping grid), the
   cells' histograms normalized together ('L1', 'L1-sqrt', 'L2' or 'L2-Hys',
   with ``eps = 1e-5``), concatenated in the order
   ``(block_row, block_col, cell_row, cell_col, orientation)``.

Steps 2-4 follow scikit-image bit for bit where it matters: magnitudes and
orientations are computed in float64 with the same NumPy functions (on the CPU),
bin edges are ``180 / orientations * i`` compared exactly as scikit-image
compares them, and the dominant channel is chosen from magnitudes in the dtype
scikit-image uses (float32 for float32 images, float64 otherwise). 8-bit images
take a shortcut: their gradients are integers in ``[-255, 255]``, so the
magnitude and bin of every possible pair are computed once, with those same
functions, into lookup tables. Histograms and block norms are accumulated in
float32 (float64 for float64 images), which is where the last ~1e-7 of
difference to scikit-image comes from.
"""

from __future__ import annotations

import functools
import math
from numbers import Integral

import numpy as np
import torch
from joblib import effective_n_jobs

from ..utils import resolve_device, torch_threads
from ..utils._docstrings import fill_doc
from ..utils._images import as_supported_dtype
from ..utils._sklearn import Interval, StrOptions, validate_params
from ..utils._torch import fitted_device_or_cpu, memory_advice
from ._base import (
    LAYOUT_CONSTRAINTS,
    ImageTransformer,
    check_output_size,
    read_images,
)

__all__ = ["HOGTransformer", "hog", "visualize_hog"]

_EPS = 1e-5
# pixels per batch when batch_size='auto': small batches stay in the CPU's cache
_AUTO_BATCH_PIXELS = {"cpu": 2**18}
_AUTO_BATCH_PIXELS_ACCELERATOR = 2**24
# an 8-bit gradient pair (g_row, g_col) maps to (g_row + 255) * 511 + g_col + 255
_LUT_SIDE = 511
_LUT_CENTER = 255 * _LUT_SIDE + 255
# bits of a pair index; a color pixel's key is magnitude rank << _RANK_SHIFT |
# channel priority << _PAIR_BITS | pair
_PAIR_BITS = 18
_RANK_SHIFT = 40

_HOG_CONSTRAINTS: dict = {
    "orientations": [Interval(Integral, 1, None, closed="left")],
    "pixels_per_cell": [Interval(Integral, 1, None, closed="left"), tuple, list],
    "cells_per_block": [Interval(Integral, 1, None, closed="left"), tuple, list],
    "block_norm": [StrOptions({"L1", "L1-sqrt", "L2", "L2-Hys"})],
    "transform_sqrt": ["boolean"],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "n_jobs": [Integral, None],
    "device": [str, torch.device],
}


@validate_params(
    {
        "images": ["array-like", "sparse matrix"],
        **_HOG_CONSTRAINTS,
        **LAYOUT_CONSTRAINTS,
    },
    prefer_skip_nested_validation=True,
)
def hog(
    images,
    *,
    orientations: int = 9,
    pixels_per_cell: int | tuple[int, int] = (8, 8),
    cells_per_block: int | tuple[int, int] = (3, 3),
    block_norm: str = "L2-Hys",
    transform_sqrt: bool = False,
    image_shape: tuple[int, ...] | str | None = None,
    data_format: str = "channels_last",
    batch_size: int | str = "auto",
    n_jobs: int | None = None,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Histogram of oriented gradients of each image, as :func:`skimage.feature.hog`.

    Computes, for a whole batch at once, what ``skimage.feature.hog(image, ...,
    feature_vector=True)`` returns for each image (to float32 precision: the
    largest difference is about 1e-7), with ``channel_axis=-1`` for color
    images. Read more in the :ref:`User Guide <image_features>`.

    Parameters
    ----------
    images : array-like
        Flat rows ``(n_samples, n_features)`` read with ``image_shape``,
        grayscale ``(n_samples, height, width)``, or color
        ``(n_samples, height, width, channels)`` (``(n_samples, channels,
        height, width)`` with ``data_format='channels_first'``). Images with
        more than one channel use, at each pixel, the channel with the largest
        gradient magnitude.
    orientations : int, default=9
        Number of orientation bins over [0, 180) degrees.
    pixels_per_cell : int or (int, int), default=(8, 8)
        Size of a cell in pixels, (rows, columns); an int for square cells.
    cells_per_block : int or (int, int), default=(3, 3)
        Size of a normalization block in cells, (rows, columns).
    block_norm : {'L1', 'L1-sqrt', 'L2', 'L2-Hys'}, default='L2-Hys'
        Block normalization: divide by the L1 norm (then take the square root
        for 'L1-sqrt'), or by the L2 norm; 'L2-Hys' then clips at 0.2 and
        normalizes again.
    transform_sqrt : bool, default=False
        Take the square root of the pixel values first (power-law compression,
        which evens out illumination). The images must not be negative.
    image_shape : tuple, 'auto' or None, default=None
        Shape of one image for flat rows: ``(height, width)`` or with the
        channels; None or 'auto' reads square grayscale rows.
    data_format : {'channels_last', 'channels_first'}, default='channels_last'
        Where the channel axis of 4-D input and of ``image_shape`` is.
    batch_size : int or 'auto', default='auto'
        Images computed together. 'auto' takes about 262,000 pixels per batch
        on the CPU (a size that stays in the cache) and 16.7 million on a GPU.
    n_jobs : int or None, default=None
        CPU threads for the tensor arithmetic: None means 1 (unless in a
        :obj:`joblib.parallel_config` context), -1 means all cores.
    device : str or torch.device, default='cpu'
        Where to compute: 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto'.

    Returns
    -------
    features : ndarray of shape (n_samples, n_features)
        ``n_features = n_blocks_row * n_blocks_col * cells_per_block[0] *
        cells_per_block[1] * orientations`` with ``n_blocks_row = height //
        pixels_per_cell[0] - cells_per_block[0] + 1`` (columns alike). float64
        for float64 images, float32 otherwise.

    Raises
    ------
    ValueError
        If the images are smaller than one block (the message names the
        minimum size), hold NaN or infinity, or are negative with
        ``transform_sqrt=True``.

    See Also
    --------
    HOGTransformer : The same as a scikit-learn transformer.
    visualize_hog : Render the cell histograms as glyphs.

    Examples
    --------
    >>> from skdl.datasets import load_digit_sheet
    >>> from skdl.feature_extraction import hog
    >>> images = load_digit_sheet().images[:3]
    >>> hog(images, pixels_per_cell=(5, 5), cells_per_block=(2, 2)).shape
    (3, 324)
    """
    params = _HOGParams.from_arguments(
        orientations, pixels_per_cell, cells_per_block, block_norm, transform_sqrt
    )
    images = read_images(
        images, image_shape=image_shape, data_format=data_format, owner="hog"
    )
    params.check_size(images.shape[1:], owner="hog")
    with memory_advice(
        "hog ran out of memory. Pass fewer images per call, a smaller "
        "batch_size, or lower orientations."
    ):
        return _hog(images, params, batch_size=batch_size, n_jobs=n_jobs, device=device)


@validate_params(
    {
        "images": ["array-like", "sparse matrix"],
        "orientations": _HOG_CONSTRAINTS["orientations"],
        "pixels_per_cell": _HOG_CONSTRAINTS["pixels_per_cell"],
        "transform_sqrt": ["boolean"],
        **LAYOUT_CONSTRAINTS,
    },
    prefer_skip_nested_validation=True,
)
def visualize_hog(
    images,
    *,
    orientations: int = 9,
    pixels_per_cell: int | tuple[int, int] = (8, 8),
    transform_sqrt: bool = False,
    image_shape: tuple[int, ...] | str | None = None,
    data_format: str = "channels_last",
) -> np.ndarray:
    """Draw each cell's orientation histogram as a star of line glyphs.

    For every cell and orientation bin, a line through the cell's center,
    perpendicular to the bin's middle orientation (so along the edges that
    produced it), is drawn with an intensity equal to the bin's value. The
    result equals the ``hog_image`` that ``skimage.feature.hog(...,
    visualize=True)`` returns, for a whole batch at once.

    Parameters
    ----------
    images : array-like
        Images in any layout :func:`hog` accepts.
    orientations : int, default=9
        Number of orientation bins over [0, 180) degrees.
    pixels_per_cell : int or (int, int), default=(8, 8)
        Size of a cell in pixels, (rows, columns).
    transform_sqrt : bool, default=False
        Take the square root of the pixel values first.
    image_shape : tuple, 'auto' or None, default=None
        Shape of one image for flat rows.
    data_format : {'channels_last', 'channels_first'}, default='channels_last'
        Where the channel axis of 4-D input and of ``image_shape`` is.

    Returns
    -------
    glyphs : ndarray of shape (n_samples, height, width)
        float32 images, zero outside the whole cells.

    Examples
    --------
    >>> from skdl.datasets import load_digit_sheet
    >>> from skdl.feature_extraction import visualize_hog
    >>> glyphs = visualize_hog(load_digit_sheet().images[:2], pixels_per_cell=5)
    >>> glyphs.shape
    (2, 20, 20)
    """
    params = _HOGParams.from_arguments(
        orientations, pixels_per_cell, 1, "L2-Hys", transform_sqrt
    )
    images = read_images(
        images, image_shape=image_shape, data_format=data_format, owner="visualize_hog"
    )
    params.check_size(images.shape[1:], owner="visualize_hog")
    rows, cols = params.cell
    check_output_size(  # the glyph of each orientation in a cell
        orientations * rows * cols,
        owner="visualize_hog",
        what=f"{orientations} orientations x {rows} x {cols} pixels per cell",
        advice="Lower orientations, or use smaller cells.",
    )
    if min(params.cell) < 2:
        raise ValueError(
            "visualize_hog draws a line through each cell and needs cells of at "
            f"least 2 x 2 pixels; got pixels_per_cell={params.cell}."
        )
    n, height, width, _ = images.shape
    x = torch.from_numpy(np.array(_torch_dtype(images), order="C"))
    hist = _cell_histograms(x, params, _lookup_tables(orientations, "cpu"))
    stencils = torch.from_numpy(_glyph_stencils(orientations, rows, cols))
    cells = torch.einsum("nijo,ors->nirjs", hist.float(), stencils)
    glyphs = np.zeros((n, height, width), dtype=np.float32)
    n_rows, n_cols = hist.shape[1] * rows, hist.shape[2] * cols
    glyphs[:, :n_rows, :n_cols] = cells.reshape(n, n_rows, n_cols).numpy()
    return glyphs


@fill_doc
class HOGTransformer(ImageTransformer):
    """Histogram-of-oriented-gradients features of images, as scikit-image's.

    A scikit-learn transformer around :func:`hog`: each image becomes the
    vector ``skimage.feature.hog(image, ..., feature_vector=True)`` returns
    (equal to float32 precision), computed for the whole batch at once on
    ``device``. The transformer learns nothing; :meth:`fit` checks the
    parameters and records the image shape, which :meth:`transform` then
    requires. Read more in the :ref:`User Guide <image_features>`.

    Parameters
    ----------
    orientations : int, default=9
        Number of orientation bins over [0, 180) degrees.
    pixels_per_cell : int or (int, int), default=(8, 8)
        Size of a cell in pixels, (rows, columns); an int for square cells.
    cells_per_block : int or (int, int), default=(3, 3)
        Size of a normalization block in cells, (rows, columns).
    block_norm : {'L1', 'L1-sqrt', 'L2', 'L2-Hys'}, default='L2-Hys'
        Block normalization: divide by the L1 norm (then take the square root
        for 'L1-sqrt'), or by the L2 norm; 'L2-Hys' then clips at 0.2 and
        normalizes again.
    transform_sqrt : bool, default=False
        Take the square root of the pixel values first (power-law compression).
        The images must not be negative.
    ${image_layout_parameters}
    batch_size : int or 'auto', default='auto'
        Images computed together; 'auto' takes about 262,000 pixels per batch
        on the CPU and 16.7 million on a GPU.
    n_jobs : int or None, default=None
        CPU threads for the tensor arithmetic: None means 1 (unless in a
        :obj:`joblib.parallel_config` context), -1 means all cores.
    device : str or torch.device, default='cpu'
        Where to compute: 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto'.

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
    hog : The function this transformer calls.
    ColorHistogramTransformer : Color histograms, the other classic feature.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.svm import SVC
    >>> from skdl.datasets import load_digit_sheet
    >>> from skdl.feature_extraction import HOGTransformer
    >>> X, y = load_digit_sheet(return_X_y=True)
    >>> model = make_pipeline(
    ...     HOGTransformer(pixels_per_cell=5, cells_per_block=2, image_shape=(20, 20)),
    ...     SVC(),
    ... )
    >>> model.fit(X[::10], y[::10]).score(X[5::10], y[5::10]) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **ImageTransformer._parameter_constraints,
        **_HOG_CONSTRAINTS,
    }

    def __init__(
        self,
        orientations: int = 9,
        *,
        pixels_per_cell: int | tuple[int, int] = (8, 8),
        cells_per_block: int | tuple[int, int] = (3, 3),
        block_norm: str = "L2-Hys",
        transform_sqrt: bool = False,
        image_shape: tuple[int, ...] | str | None = None,
        data_format: str = "channels_last",
        batch_size: int | str = "auto",
        n_jobs: int | None = None,
        device: str | torch.device = "cpu",
    ):
        self.orientations = orientations
        self.pixels_per_cell = pixels_per_cell
        self.cells_per_block = cells_per_block
        self.block_norm = block_norm
        self.transform_sqrt = transform_sqrt
        self.image_shape = image_shape
        self.data_format = data_format
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.device = device

    _run_params = frozenset({"batch_size", "n_jobs", "device"})

    def _params(self) -> _HOGParams:
        return _HOGParams.from_arguments(
            self.orientations,
            self.pixels_per_cell,
            self.cells_per_block,
            self.block_norm,
            self.transform_sqrt,
        )

    def _check_parameters(self):
        resolve_device(self.device)  # a device this machine lacks is an error here

    def _check_image_size(self, shape):
        self._params().check_size(shape, owner=type(self).__name__)

    def _n_output_features(self, shape):
        return self._params().n_features(shape)

    def _transform(self, images, ndim):
        return _hog(
            images,
            self._params(),
            batch_size=self.batch_size,
            n_jobs=self.n_jobs,
            # a transformer fitted on a GPU machine still transforms on a laptop
            device=fitted_device_or_cpu(self.device, "Computing HOG"),
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


# -- the computation ----------------------------------------------------------------
class _HOGParams:
    """The HOG parameters, checked and normalized (pairs as tuples)."""

    def __init__(self, orientations, cell, block, block_norm, transform_sqrt):
        self.orientations = int(orientations)
        self.cell = cell
        self.block = block
        self.block_norm = block_norm
        self.transform_sqrt = bool(transform_sqrt)

    @classmethod
    def from_arguments(cls, orientations, cell, block, block_norm, transform_sqrt):
        return cls(
            orientations,
            _pair(cell, "pixels_per_cell"),
            _pair(block, "cells_per_block"),
            block_norm,
            transform_sqrt,
        )

    def grid(self, shape) -> tuple[int, int, int, int]:
        """Cells and blocks along rows and columns for images of ``shape``."""
        cells_row, cells_col = shape[0] // self.cell[0], shape[1] // self.cell[1]
        return (
            cells_row,
            cells_col,
            cells_row - self.block[0] + 1,
            cells_col - self.block[1] + 1,
        )

    def check_size(self, shape, *, owner: str) -> None:
        cells_row, cells_col, blocks_row, blocks_col = self.grid(shape)
        if blocks_row < 1 or blocks_col < 1:
            min_rows = self.block[0] * self.cell[0]
            min_cols = self.block[1] * self.cell[1]
            raise ValueError(
                f"{owner}: the images ({shape[0]} x {shape[1]} pixels) are too "
                f"small for pixels_per_cell={self.cell} and cells_per_block="
                f"{self.block}. They should have at least {min_rows} rows and "
                f"{min_cols} cols; use smaller cells or blocks, or larger images."
            )
        # the cells' histograms, then the blocks' features
        check_output_size(
            cells_row * cells_col * self.orientations,
            owner=owner,
            what=f"{cells_row} x {cells_col} cells x {self.orientations} orientations",
            advice="Lower orientations, or use larger cells.",
        )
        check_output_size(
            self.n_features(shape),
            owner=owner,
            what=f"{blocks_row} x {blocks_col} blocks of {self.block[0]} x "
            f"{self.block[1]} cells x {self.orientations} orientations",
            advice="Lower orientations, or use larger cells or smaller blocks.",
        )

    def n_features(self, shape) -> int:
        *_, blocks_row, blocks_col = self.grid(shape)
        return (
            blocks_row
            * blocks_col
            * self.block[0]
            * self.block[1]
            * (self.orientations)
        )


def _pair(value, name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, Integral) else tuple(value)
    if len(pair) != 2 or not all(
        isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in pair
    ):
        raise ValueError(
            f"{name} must be a positive int or a pair of positive ints "
            f"(rows, columns); got {value!r}."
        )
    return int(pair[0]), int(pair[1])


def _hog(images: np.ndarray, params: _HOGParams, *, batch_size, n_jobs, device):
    """HOG features of channels-last images, batch by batch, on ``device``."""
    images = _torch_dtype(images)
    device = resolve_device(device)
    if device.type == "mps":
        raise ValueError(
            "HOG reproduces scikit-image with float64 arithmetic, which the MPS "
            "backend lacks; use device='cpu' (or a CUDA device)."
        )
    if params.transform_sqrt and images.min() < 0:
        raise ValueError(
            "transform_sqrt=True takes the square root of the pixel values, but "
            f"the images hold negative values (minimum {images.min():.4g}). "
            "Shift or rescale them to be non-negative, or set transform_sqrt=False."
        )
    n, *shape = images.shape
    out_dtype = np.float64 if images.dtype == np.float64 else np.float32
    features = np.empty((n, params.n_features(shape)), dtype=out_dtype)
    if batch_size == "auto":
        pixels = _AUTO_BATCH_PIXELS.get(device.type, _AUTO_BATCH_PIXELS_ACCELERATOR)
        batch_size = max(1, pixels // int(np.prod(shape)))
    tables = _lookup_tables(params.orientations, str(device))
    with torch_threads(effective_n_jobs(n_jobs)):
        for start in range(0, n, batch_size):
            batch = np.ascontiguousarray(images[start : start + batch_size])
            if not batch.flags.writeable:  # torch wants to own writable memory
                batch = batch.copy()
            x = torch.from_numpy(batch).to(device, non_blocking=True)
            hist = _cell_histograms(x, params, tables)
            blocks = _normalized_blocks(hist, params.block, params.block_norm)
            features[start : start + len(batch)] = blocks.cpu().numpy()
    return features


# what torch.from_numpy takes, in the machine's byte order (bool images come
# as float32 from check_images)
_TORCH_DTYPES = (
    np.uint8,
    np.int8,
    np.uint16,
    np.int16,
    np.uint32,
    np.int32,
    np.uint64,
    np.int64,
    np.float16,
    np.float32,
    np.float64,
)


def _torch_dtype(images: np.ndarray) -> np.ndarray:
    """Images torch takes: byte-swapped ones in native order, long doubles as
    float64 (scikit-image's float type for them).
    """
    return as_supported_dtype(images, _TORCH_DTYPES, library="HOG")


def _cell_histograms(x: torch.Tensor, params: _HOGParams, tables) -> torch.Tensor:
    """Orientation histograms of the cells, ``(n, cells_row, cells_col, bins)``."""
    n, height, width, channels = x.shape
    cells_row, cells_col, *_ = params.grid((height, width))
    rows, cols = cells_row * params.cell[0], cells_col * params.cell[1]
    accumulate = torch.float64 if x.dtype == torch.float64 else torch.float32
    if x.dtype in (torch.uint8, torch.int8) and not params.transform_sqrt:
        # integer gradients: magnitudes and bins come from the lookup tables
        g_row, g_col = _gradients(x.to(torch.int32), rows, cols)
        pair = g_row.mul_(_LUT_SIDE).add_(g_col).add_(_LUT_CENTER)
        if channels > 1:
            # the pair of the strongest channel, the first one on ties (argmax):
            # the key orders by magnitude, then by channel, and carries the pair
            keys = tables.strongest_keys.index_select(0, pair.view(-1))
            priority = torch.arange(channels - 1, -1, -1, device=x.device)
            keys = keys.view(pair.shape).add_(priority << _PAIR_BITS)
            pair = keys.amax(dim=-1).bitwise_and_(2**_PAIR_BITS - 1).to(torch.int32)
        pair = pair.view(-1)
        magnitude = tables.magnitude(accumulate).index_select(0, pair)
        bins = tables.bins.index_select(0, pair)
    else:
        # scikit-image computes in float32 for float32 (and float16) images
        work = torch.float32 if x.dtype in (torch.float16, torch.float32) else None
        x = x.to(work or torch.float64)
        if params.transform_sqrt:
            x = _sqrt(x)
        g_row, g_col = _gradients(x, rows, cols)
        if channels > 1:
            pick = _hypot(g_row, g_col).argmax(dim=-1, keepdim=True)
            g_row, g_col = g_row.gather(-1, pick), g_col.gather(-1, pick)
        magnitude, bins = _magnitudes_and_bins(
            g_row.view(-1), g_col.view(-1), params.orientations, accumulate
        )
    if x.device.type == "cpu":
        offsets = _cell_offsets(n, cells_row, cells_col, params, x.device)
        keys = bins.view(n, rows, cols).to(offsets.dtype).add_(offsets)
        total = n * cells_row * cells_col * params.orientations
        hist = torch.bincount(keys.view(-1), weights=magnitude, minlength=total)
        hist = hist.view(n, cells_row, cells_col, params.orientations)
    else:
        hist = _summed_votes(bins, magnitude, (n, cells_row, cells_col), params)
    return hist.div_(params.cell[0] * params.cell[1])


def _summed_votes(bins, magnitude, grid, params: _HOGParams) -> torch.Tensor:
    """The cells' histograms, ``(n, cells_row, cells_col, bins)``, without atomics.

    A GPU's bincount adds with atomics, in an order that changes from run to run
    (and ``torch.use_deterministic_algorithms`` refuses it). Here, bin by bin,
    the pixels' votes for that bin (their magnitude, or zero) are summed over
    each cell in a fixed order: the same sums, repeatable bit for bit, with one
    array of the magnitudes' size at a time.
    """
    n, cells_row, cells_col = grid
    cells = (n, cells_row, params.cell[0], cells_col, params.cell[1])
    hist = magnitude.new_empty((n, cells_row, cells_col, params.orientations))
    for orientation in range(params.orientations):
        votes = torch.where(bins == orientation, magnitude, 0.0)
        hist[..., orientation] = votes.view(cells).sum(dim=(2, 4))
    return hist


def _gradients(x: torch.Tensor, rows: int, cols: int):
    """Gradients of the top-left ``rows x cols`` pixels, ``(n, rows, cols, c)``.

    Central differences, zero on the image border, as scikit-image.
    """
    n, height, width, channels = x.shape
    # only the border is zero: filling the whole arrays first costs a pass
    g_row = x.new_empty((n, rows, cols, channels))
    g_col = x.new_empty((n, rows, cols, channels))
    inner_rows = min(height - 1, rows)  # rows 1 .. inner_rows - 1 have two neighbours
    if inner_rows > 1:
        torch.sub(
            x[:, 2 : inner_rows + 1, :cols],
            x[:, : inner_rows - 1, :cols],
            out=g_row[:, 1:inner_rows],
        )
    g_row[:, :1].zero_()
    g_row[:, max(inner_rows, 1) :].zero_()
    inner_cols = min(width - 1, cols)
    if inner_cols > 1:
        torch.sub(
            x[:, :rows, 2 : inner_cols + 1],
            x[:, :rows, : inner_cols - 1],
            out=g_col[:, :, 1:inner_cols],
        )
    g_col[:, :, :1].zero_()
    g_col[:, :, max(inner_cols, 1) :].zero_()
    return g_row, g_col


# On the CPU these use NumPy's functions, the ones scikit-image calls: torch's
# vectorized kernels (even its float64 square root) can differ in the last bit,
# which moves a pixel to another channel or orientation bin.
def _sqrt(x: torch.Tensor) -> torch.Tensor:
    if x.device.type == "cpu":
        return torch.from_numpy(np.sqrt(x.numpy()))
    return x.sqrt()


def _hypot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    if a.device.type == "cpu":
        return torch.from_numpy(np.hypot(a.numpy(), b.numpy()))
    return torch.hypot(a, b)


def _polar(g_row: torch.Tensor, g_col: torch.Tensor):
    """Magnitude and orientation in degrees in [0, 180] of float64 gradients."""
    if g_row.device.type == "cpu":
        r, c = g_row.numpy(), g_col.numpy()
        magnitude = np.hypot(c, r)
        orientation = np.rad2deg(np.arctan2(r, c)) % 180
        return torch.from_numpy(magnitude), torch.from_numpy(orientation)
    magnitude = torch.hypot(g_col, g_row)
    orientation = torch.remainder(torch.rad2deg(torch.atan2(g_row, g_col)), 180)
    return magnitude, orientation


# float32 orientations are within 1e-4 degrees of the float64 ones; closer than
# this to a bin edge, the bin is taken from the float64 orientation
_EDGE_MARGIN_DEGREES = 1e-2


def _magnitudes_and_bins(g_row, g_col, n_bins: int, dtype: torch.dtype):
    """Magnitude (``dtype``, 0 where skimage counts none) and bin of each pixel.

    The float64 orientation scikit-image compares with the bin edges is costly;
    a float32 one decides the bin of every pixel that is not within
    ``_EDGE_MARGIN_DEGREES`` of an edge, and only the others get the float64
    orientation computed as scikit-image computes it. A zero row gradient needs
    neither: its orientation is exactly 0 (bin 0) and its magnitude ``|g_col|``.
    """
    row32, col32 = g_row.float(), g_col.float()
    magnitude = torch.hypot(col32, row32) if dtype == torch.float32 else None
    # position on the bin axis: the angle folded into [0, pi], in bin widths
    position = torch.atan2(row32, col32)
    position = torch.where(position < 0, position + math.pi, position)
    position.mul_(n_bins / math.pi)
    bins = position.floor().clamp_(0, n_bins - 1).to(torch.int32)
    margin = _EDGE_MARGIN_DEGREES * n_bins / 180.0  # in bin widths
    near = (position - position.round()).abs_() < margin
    flat = row32 == 0
    near &= ~flat
    bins.masked_fill_(flat, 0)
    near = near.nonzero().view(-1)
    if magnitude is None:
        magnitude = torch.hypot(g_col.double(), g_row.double())
    if len(near):
        exact_magnitude, orientation = _polar(
            g_row[near].double(), g_col[near].double()
        )
        exact_bins, counted = _orientation_bins(orientation, n_bins)
        bins[near] = exact_bins
        magnitude[near] = torch.where(counted, exact_magnitude, 0).to(dtype)
    return magnitude, bins


def _orientation_bins(orientation: torch.Tensor, n_bins: int):
    """Bin of each orientation, and whether it falls in any bin.

    Bin ``i`` holds ``width * i <= orientation < width * (i + 1)`` with
    ``width = 180 / n_bins`` in float64, the comparisons scikit-image makes;
    an orientation that rounds to 180.0 falls in none.
    """
    width = 180.0 / n_bins
    k = torch.floor(orientation / width).clamp_(0, n_bins - 1)
    k -= (orientation < k * width).to(k.dtype)
    k += (orientation >= (k + 1) * width).to(k.dtype)
    counted = k < n_bins
    return k.clamp_(max=n_bins - 1).to(torch.int32), counted


def _cell_offsets(n, cells_row, cells_col, params, device) -> torch.Tensor:
    """Histogram slot of each pixel's cell, ``(n, rows, cols)``, bin 0."""
    rows = torch.arange(cells_row * params.cell[0], device=device) // params.cell[0]
    cols = torch.arange(cells_col * params.cell[1], device=device) // params.cell[1]
    cell = (rows[:, None] * cells_col + cols[None, :]) * params.orientations
    per_image = cells_row * cells_col * params.orientations
    image = torch.arange(n, device=device) * per_image
    offsets = image[:, None, None] + cell[None]
    return offsets.to(torch.int32 if offsets.max() < 2**31 else torch.int64)


def _normalized_blocks(hist: torch.Tensor, block, norm: str) -> torch.Tensor:
    """Blocks of cells normalized together, flattened per image."""
    n = hist.shape[0]
    blocks = hist.unfold(1, block[0], 1).unfold(2, block[1], 1)
    # (n, blocks_row, blocks_col, bins, block_rows, block_cols) -> cells, then bins;
    # a copy, as the windows overlap
    blocks = blocks.permute(0, 1, 2, 4, 5, 3).clone(
        memory_format=torch.contiguous_format
    )
    blocks = blocks.view(*blocks.shape[:3], -1)
    if norm in ("L1", "L1-sqrt"):
        blocks /= blocks.sum(dim=-1, keepdim=True) + _EPS
        if norm == "L1-sqrt":
            blocks.sqrt_()
    else:
        blocks /= _l2(blocks)
        if norm == "L2-Hys":
            blocks.clamp_(max=0.2)
            blocks /= _l2(blocks)
    return blocks.reshape(n, -1)


def _l2(blocks: torch.Tensor) -> torch.Tensor:
    squares = torch.linalg.vector_norm(blocks, dim=-1, keepdim=True).square_()
    return squares.add_(_EPS**2).sqrt_()


class _Tables:
    """Magnitude, bin and color key of every 8-bit gradient pair, on a device."""

    def __init__(self, orientations: int, device: str):
        g = np.arange(-255, 256, dtype=np.float64)
        g_row, g_col = np.meshgrid(g, g, indexing="ij")
        magnitude, orientation = _polar(
            torch.from_numpy(g_row.ravel()), torch.from_numpy(g_col.ravel())
        )
        bins, counted = _orientation_bins(orientation, orientations)
        # color images keep the channel of largest float64 magnitude: its rank
        # among all pairs' magnitudes orders the channels the same way
        _, rank = np.unique(magnitude.numpy(), return_inverse=True)
        pairs = np.arange(len(rank), dtype=np.int64)
        keys = (rank.astype(np.int64) << _RANK_SHIFT) | pairs
        self.strongest_keys = torch.from_numpy(keys).to(device)
        magnitude = torch.where(counted, magnitude, 0)
        self.magnitude64 = magnitude.to(device)
        self._magnitude32 = magnitude.float().to(device)
        self.bins = bins.to(device)

    def magnitude(self, dtype: torch.dtype) -> torch.Tensor:
        return self.magnitude64 if dtype == torch.float64 else self._magnitude32


@functools.lru_cache(maxsize=8)
def _lookup_tables(orientations: int, device: str) -> _Tables:
    return _Tables(orientations, device)


@functools.lru_cache(maxsize=8)
def _glyph_stencils(orientations: int, rows: int, cols: int) -> np.ndarray:
    """One line per orientation bin within a cell, ``(orientations, rows, cols)``.

    The line passes through the cell's center ``(rows // 2, cols // 2)`` with
    half-length ``min(rows, cols) // 2 - 1``, perpendicular to the bin's
    middle orientation, drawn as scikit-image draws it.
    """
    from skimage.draw import line

    radius = min(rows, cols) // 2 - 1
    middle = np.pi * (np.arange(orientations) + 0.5) / orientations
    stencils = np.zeros((orientations, rows, cols), dtype=np.float32)
    center_row, center_col = rows // 2, cols // 2
    for o, angle in enumerate(middle):
        d_row, d_col = radius * np.sin(angle), radius * np.cos(angle)
        rr, cc = line(
            int(center_row - d_col),
            int(center_col + d_row),
            int(center_row + d_col),
            int(center_col - d_row),
        )
        stencils[o, rr, cc] = 1
    return stencils
