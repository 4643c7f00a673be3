"""Data larger than memory, and training past one machine.

- :class:`RowBlocks`: X as blocks of rows (NumPy arrays, ``.npy`` or Parquet
  files, a Dask collection), which ``fit`` reads one block at a time. ``fit``
  takes Dask arrays and DataFrames directly, the same way.
- :func:`predict_blocks`: a fitted estimator applied to every block of a Dask
  array or DataFrame, lazily, so prediction runs in parallel on a Dask cluster
  (or on the local threads or processes) and never holds more than a few
  blocks in memory. It plays the part of
  ``dask_ml.wrappers.ParallelPostFit.predict`` without depending on dask-ml;
  the estimators' ``predict``, ``predict_proba`` and ``transform`` call it
  when given a Dask collection.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._blocks import RowBlocks

__all__ = ["RowBlocks", "predict_blocks"]


def predict_blocks(estimator: Any, X: Any, method: str = "predict") -> Any:
    """Apply a fitted estimator's ``method`` to each block of rows of a Dask array.

    Parameters
    ----------
    estimator : fitted estimator
        Any fitted scikit-learn compatible estimator (a skdl estimator or a
        Pipeline ending in one).
    X : dask.array.Array or dask.dataframe.DataFrame
        Samples along the first axis, in any layout the estimator accepts
        (rows of features, images, or a 1-D array of strings for text models).
        Blocks are rechunked to hold whole samples; the row chunks are kept.
        A DataFrame's partitions reach the estimator as pandas DataFrames, with
        their column names.
    method : {'predict', 'predict_proba', 'predict_log_proba', \
'decision_function', 'transform', 'inverse_transform'}, default='predict'
        The method to apply.

    Returns
    -------
    dask.array.Array
        The lazy outputs, chunked along the rows like ``X`` (one chunk per
        partition of a DataFrame, of unknown length until computed). Call
        ``.compute()`` for a NumPy array, or ``.to_zarr(...)``/``.store(...)``
        to write results larger than memory. The call itself reads no data:
        the output's dtype and row shape (its ``meta``) come from one row of
        zeros (of one row of X where the estimator refuses zeros).

    Examples
    --------
    >>> import dask.array as da
    >>> from sklearn.datasets import load_iris
    >>> from skdl import MLPClassifier
    >>> from skdl.parallel import predict_blocks
    >>> X, y = load_iris(return_X_y=True)
    >>> model = MLPClassifier(max_iter=20, random_state=0).fit(X, y)
    >>> proba = predict_blocks(model, da.from_array(X, chunks=50), "predict_proba")
    >>> proba.chunks
    ((50, 50, 50), (3,))
    >>> bool((proba.compute() == model.predict_proba(X)).all())
    True
    """
    import dask.array as da
    import dask.dataframe as dd

    allowed = (
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "transform",
        "inverse_transform",
    )
    if method not in allowed:
        raise ValueError(f"method must be one of {allowed}; got {method!r}.")
    if not isinstance(X, da.Array | dd.DataFrame | dd.Series):
        raise TypeError(
            "predict_blocks takes a dask.array.Array or a Dask DataFrame; got "
            f"{type(X).__name__}. Wrap in-memory data with dask.array.from_array, "
            f"or call estimator.{method} directly."
        )
    if not hasattr(estimator, method):
        raise AttributeError(f"{type(estimator).__name__} has no method {method!r}.")
    check_is_fitted(estimator)
    function = getattr(estimator, method)
    if not isinstance(X, da.Array):
        probe = _probe(function, X)
        return X.map_partitions(function, meta=probe[:0])
    X = X.rechunk({axis: -1 for axis in range(1, X.ndim)})
    # one sample tells the output's dtype and the shape of one row of output
    probe = _probe(function, X)
    out_axes = range(1, probe.ndim)
    return da.map_blocks(
        function,
        X,
        dtype=probe.dtype,
        chunks=(X.chunks[0], *((size,) for size in probe.shape[1:])),
        drop_axis=list(range(probe.ndim, X.ndim)),
        new_axis=list(out_axes[X.ndim - 1 :]) or None,
        meta=probe[:0],
    )


def _probe(function, X):
    """``function`` on one row, to learn the output's meta: a row of zeros.

    Zeros of X's dtypes compute nothing. Where X is not numeric (text) or the
    estimator refuses zeros (a range check), X's first row is used, which
    computes X's first block.
    """
    meta = X._meta
    if hasattr(meta, "columns"):
        numeric = all(dtype.kind in "biuf" for dtype in meta.dtypes)
    else:
        numeric = meta.dtype.kind in "biuf"
    if numeric:
        if hasattr(meta, "columns"):
            row = meta.reindex(range(1)).fillna(0).astype(meta.dtypes)
        elif hasattr(meta, "index"):  # a Series
            row = meta.reindex(range(1)).fillna(0).astype(meta.dtype)
        else:
            row = np.zeros((1, *X.shape[1:]), dtype=X.dtype)
        try:
            return function(row)
        except ValueError:
            pass
    return function(X[:1].compute() if hasattr(X, "blocks") else X.head(1))
