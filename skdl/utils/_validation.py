"""Input checks shared by the estimators: scikit-learn's ``validate_data`` with
errors that name the offending columns, and float32's range.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import validate_data as _sklearn_validate_data

__all__ = ["check_float32_range", "output_dtype", "validate_data"]


def validate_data(estimator, X="no_validation", y="no_validation", **kwargs):
    """:func:`sklearn.utils.validation.validate_data`, naming text columns.

    scikit-learn reports a string in a DataFrame as "could not convert string to
    float: 'red'", without saying where it is. When ``X`` has columns, this
    names those that hold text and says how to encode them; the original
    message stays at the end. Everything else is scikit-learn's.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.base import BaseEstimator
    >>> X = pd.DataFrame({"size": [1.0, 2.0], "color": ["red", "blue"]})
    >>> try:
    ...     validate_data(BaseEstimator(), X, dtype="numeric")
    ... except ValueError as error:
    ...     print(error)
    BaseEstimator needs numeric features, but column 'color' of X holds text. ...
    """
    try:
        return _sklearn_validate_data(estimator, X, y, **kwargs)
    except ValueError as error:
        columns = _text_columns(X)
        if not columns or "could not convert" not in str(error):
            raise
        names = ", ".join(repr(name) for name in columns)
        plural = len(columns) > 1
        raise ValueError(
            f"{type(estimator).__name__} needs numeric features, but column"
            f"{'s' if plural else ''} {names} of X hold{'' if plural else 's'} "
            "text. Encode text columns first, e.g. with "
            "sklearn.preprocessing.OneHotEncoder or OrdinalEncoder in a "
            f"sklearn.compose.ColumnTransformer ({error})."
        ) from error


def output_dtype(X) -> type:
    """The dtype of the float outputs computed from ``X``, as in scikit-learn.

    float32 when ``X`` holds float32 values (an array, a sparse matrix, or a
    DataFrame whose columns all are float32), float64 otherwise, whatever
    precision the model computes in.

    Examples
    --------
    >>> output_dtype(np.zeros((2, 3), dtype=np.float32)).__name__
    'float32'
    >>> output_dtype([[1, 2, 3]]).__name__
    'float64'
    """
    dtypes = [X.dtype] if hasattr(X, "dtype") else list(getattr(X, "dtypes", []))
    if dtypes and all(str(dtype).lower() == "float32" for dtype in dtypes):
        return np.float32
    return np.float64


def check_float32_range(values: np.ndarray, *, subject: str, advice: str) -> None:
    """Raise if floats in ``values`` lie beyond float32's range.

    Code that computes in float32 would turn them into infinities. Only floats
    wider than 32 bits are read: finite float16 and float32 values always fit.
    The message reads ``"{subject} values up to ..., beyond float32's range
    (...), in which {advice}"``.

    Examples
    --------
    >>> check_float32_range(
    ...     np.array([1e39]), subject="X holds", advice="it computes. Scale X."
    ... )
    Traceback (most recent call last):
    ...
    ValueError: X holds values up to 1e+39 in absolute value, beyond ...
    """
    floating = np.issubdtype(values.dtype, np.floating)
    if not floating or values.dtype.itemsize <= 4 or not values.size:
        return
    largest = float(np.abs(values).max())
    limit = np.finfo(np.float32).max
    if largest > float(limit):
        raise ValueError(
            f"{subject} values up to {largest:.3g} in absolute value, beyond "
            f"float32's range ({limit:.3g}), in which {advice}"
        )


def _text_columns(X) -> list:
    """Names of the columns of a DataFrame ``X`` that do not convert to floats."""
    if not hasattr(X, "columns") or not hasattr(X, "__getitem__"):
        return []
    text = []
    for name in X.columns:
        try:
            np.asarray(X[name], dtype=np.float64)
        except (TypeError, ValueError):
            text.append(name)
    return text
