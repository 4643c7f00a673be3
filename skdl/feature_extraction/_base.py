"""What every image transformer of this package shares: input checks and layouts.

The transformers learn nothing from the data. ``fit`` validates the parameters and
records the image shape, so that ``transform`` can refuse images of another size
(their features would not line up with the ones a downstream model was fitted on).
"""

from __future__ import annotations

import copy

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_is_fitted

from .._blocks import lazy_on_dask, refuse_block_input
from ..utils import check_images
from ..utils._images import validate_images
from ..utils._sklearn import StrOptions, _fit_context, wrap_data_with_container
from ..utils._state import attributes_restored_on_error
from ..utils._torch import memory_advice
from ..utils._validation import changed_params

LAYOUT_CONSTRAINTS: dict = {
    "image_shape": [tuple, list, StrOptions({"auto"}), None],
    "data_format": [StrOptions({"channels_last", "channels_first"})],
}


# features per image a function or transformer of this package computes: their
# keys and indices are int32 (and 2**31 float32 features take 8 GiB per image)
MAX_FEATURES_PER_IMAGE = 2**31 - 2


def check_output_size(
    n_features: int,
    *,
    owner: str,
    what: str,
    advice: str,
    limit: int = MAX_FEATURES_PER_IMAGE,
    why: str = "it can",
) -> None:
    """Refuse, before allocating, parameters that give too many features.

    ``what`` says how ``n_features`` comes about; ``advice`` what to lower;
    ``why`` why ``limit`` is where it is.
    """
    if n_features > limit:
        raise ValueError(
            f"{owner} would compute {n_features:,} values per image ({what}), "
            f"more than the {limit:,} {why}. {advice}"
        )


def read_images(X, *, image_shape, data_format, owner, channels=None):
    """``check_images`` for the functions of this package (no fitted state)."""
    return check_images(
        X,
        image_shape=image_shape,
        data_format=data_format,
        owner=owner,
        channels=channels,
    )


def as_layout(images: np.ndarray, ndim: int, data_format: str) -> np.ndarray:
    """Return ``(n, height, width, channels)`` images in the layout of the input.

    Flat rows stay flat rows (in ``data_format`` order), 3-D grayscale input stays
    3-D when the output has one channel, 4-D input stays 4-D.
    """
    channels_first = data_format == "channels_first"
    if ndim == 2:
        if channels_first:
            images = np.moveaxis(images, -1, 1)
        return np.ascontiguousarray(images).reshape(len(images), -1)
    if ndim == 3 and images.shape[-1] == 1:
        return np.ascontiguousarray(images[..., 0])
    if channels_first:
        images = np.moveaxis(images, -1, 1)
    return np.ascontiguousarray(images)


class ImageTransformer(
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
    # transform and fit_transform wrap their output themselves: flat rows only
    # (see _as_container); the subclasses, created with sklearn's default, have
    # set_output
    auto_wrap_output_keys=None,
):
    """Base of the image transformers (not used directly).

    Subclasses implement ``_transform(images, ndim)`` on channels-last images and
    ``_n_output_features(shape)``; they may restrict the channel counts with
    ``_channels()``, and check the image size and the values at fit with
    ``_check_image_size`` and ``_check_values``. Parameters that say how to run
    rather than what to compute (``n_jobs``, ``device``...) go in
    ``_run_params``: they may change between ``fit`` and ``transform``.
    """

    _parameter_constraints: dict = dict(LAYOUT_CONSTRAINTS)
    # why fit cannot read X block by block (see skdl._blocks.refuse_block_input)
    _block_input_refused = "checks the shape and values of all the images at fit"
    _run_params: frozenset = frozenset()

    def _channels(self):
        return None

    def _check_image_size(self, shape: tuple[int, int, int]) -> None:
        """Raise if images of ``shape`` (height, width, channels) cannot be used."""

    def _check_values(self, images: np.ndarray) -> None:
        """Raise if ``transform`` would refuse the values of these images."""

    def _n_output_features(self, shape: tuple[int, int, int]) -> int:
        raise NotImplementedError

    def _transform(self, images: np.ndarray, ndim: int) -> np.ndarray:
        raise NotImplementedError

    def _check_parameters(self) -> None:
        """Checks of the parameters beyond their types, at fit (none here)."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and record the shape of the images.

        Parameters
        ----------
        X : array-like
            Images: flat rows ``(n_samples, n_features)`` read with
            ``image_shape``, grayscale ``(n_samples, height, width)``, or
            ``(n_samples, height, width, channels)`` (``(n_samples, channels,
            height, width)`` with ``data_format='channels_first'``).
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        refuse_block_input(self, X)
        with attributes_restored_on_error(self):
            self._check_parameters()
            images, _ = self._validate_images(X, reset=True)
            self._check_image_size(self.image_shape_)
            self._check_values(images)
        self._n_features_out = self._n_output_features(self.image_shape_)
        # derived: skdl.io saves the parameters, which must then be these
        self._fitted_params = self._output_params()
        return self

    def fit_transform(self, X, y=None):
        """Check the parameters, record the shape of the images and transform them.

        Parameters
        ----------
        X : array-like
            Images, in any layout :meth:`fit` accepts.
        y : None
            Ignored.

        Returns
        -------
        ndarray or DataFrame
            See the class description for the shape and dtype; flat rows come as
            a DataFrame under ``set_output(transform='pandas')``, images as an
            ndarray.
        """
        return self.fit(X, y).transform(X)

    @lazy_on_dask
    def transform(self, X):
        """Transform the images.

        Parameters
        ----------
        X : array-like
            Images of the shape seen in :meth:`fit`, in any layout :meth:`fit`
            accepts.

        Returns
        -------
        ndarray or DataFrame
            See the class description for the shape and dtype. Under
            ``set_output(transform='pandas')`` (or 'polars') flat rows come as
            a DataFrame with the columns of :meth:`get_feature_names_out`;
            images (3-D or 4-D output) stay an ndarray, having no columns.
        """
        check_is_fitted(self)
        self._check_unchanged_params()
        with memory_advice(
            f"{type(self).__name__} ran out of memory while transforming images. "
            "Pass fewer images per call."
        ):
            images, ndim = self._validate_images(X, reset=False)
            self._check_image_size(images.shape[1:])
            out = self._transform(images, ndim)
        return self._as_container(out, X)

    def _as_container(self, out: np.ndarray, X):
        """``out`` as ``set_output`` asks, if it is flat rows; images as they are.

        scikit-learn's wrapper would pass 3-D and 4-D images to
        ``pandas.DataFrame``, which takes 2-D data only.
        """
        if out.ndim != 2:
            return out
        return wrap_data_with_container("transform", out, X, self)

    def _output_params(self) -> dict:
        """The parameters that set what ``transform`` computes, as values."""
        return {
            key: copy.deepcopy(value)
            for key, value in self.get_params(deep=False).items()
            if key not in self._run_params
        }

    def _changed_params(self) -> list[str]:
        """The parameters changed since ``fit``: ``'name: fitted, now value'``."""
        fitted, now = self._fitted_params, self._output_params()
        return [
            f"{key}: {fitted[key]!r} at fit, now {now[key]!r}"
            for key in changed_params(now, fitted)
        ]

    def _check_unchanged_params(self) -> None:
        """Refuse to transform with parameters changed since ``fit``.

        ``fit`` checked the parameters against the images and fixed the output
        (``get_feature_names_out``, what a downstream model was fitted on); as
        scikit-learn's transformers, the parameters set at fit are the ones
        that hold until the next fit, and using others would give features
        that no longer line up with those.
        """
        changed = self._changed_params()
        if changed:
            raise ValueError(
                f"{type(self).__name__}'s parameters changed since fit "
                f"({'; '.join(changed)}); it transforms with the parameters of its "
                "last fit only, which set the features that get_feature_names_out "
                "names. Call fit again to use the new values, or set them back."
            )

    def _validate_images(self, X, *, reset: bool):
        checked = validate_images(self, X, reset=reset, channels=self._channels())
        return checked.images, checked.ndim
