"""Data larger than memory: training from blocks, inference over Dask arrays.

:class:`RowBlocks` holds X as blocks of rows (NumPy arrays, ``.npy`` or Parquet
files, a Dask collection), which ``fit`` reads one block at a time; ``fit``
takes Dask arrays and DataFrames directly, the same way.

A fitted skdl estimator is a small object; :func:`predict_blocks` ships it to
every block of a :class:`dask.array.Array` of samples and returns the lazy array
of its outputs, so prediction runs in parallel on a Dask cluster (or on the
local threads or processes) and never holds more than a few blocks in memory.
It plays the part of ``dask_ml.wrappers.ParallelPostFit.predict`` without
depending on dask-ml.
"""

from __future__ import annotations

from typing import Any

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
    X : dask.array.Array
        Samples along the first axis, in any layout the estimator accepts
        (rows of features, images, or a 1-D array of strings for text models).
        Blocks are rechunked to hold whole samples; the row chunks are kept.
    method : {'predict', 'predict_proba', 'predict_log_proba', \
'decision_function', 'transform'}, default='predict'
        The method to apply.

    Returns
    -------
    dask.array.Array
        The lazy outputs, chunked along the rows like ``X``. Call ``.compute()``
        for a NumPy array, or ``.to_zarr(...)``/``.store(...)`` to write results
        larger than memory.

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

    allowed = (
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "transform",
    )
    if method not in allowed:
        raise ValueError(f"method must be one of {allowed}; got {method!r}.")
    if not isinstance(X, da.Array):
        raise TypeError(
            f"predict_blocks takes a dask.array.Array; got {type(X).__name__}. "
            f"Wrap in-memory data with dask.array.from_array, or call "
            f"estimator.{method} directly."
        )
    if not hasattr(estimator, method):
        raise AttributeError(f"{type(estimator).__name__} has no method {method!r}.")
    check_is_fitted(estimator)
    function = getattr(estimator, method)
    X = X.rechunk({axis: -1 for axis in range(1, X.ndim)})
    # one sample tells the output's dtype and the shape of one row of output
    probe = function(X[:1].compute())
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
