"""Input checks shared by the estimators: scikit-learn's ``validate_data`` with
errors that name the offending columns, and float32's range.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.utils.validation import validate_data as _sklearn_validate_data

__all__ = ["check_float32_range", "check_layer_sizes", "validate_data"]


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


def check_layer_sizes(sizes, *, allow_empty: bool = False) -> list[int]:
    """A ``hidden_layer_sizes`` parameter (an int or a sequence) as a list of ints.

    Examples
    --------
    >>> check_layer_sizes((128, 32.0))
    [128, 32]
    >>> check_layer_sizes(8)
    [8]
    """
    sizes = list(sizes) if isinstance(sizes, Sequence | np.ndarray) else [sizes]
    if (not sizes and not allow_empty) or any(
        int(size) != size or size < 1 for size in sizes
    ):
        which = "positive ints" if allow_empty else "one or more positive ints"
        raise ValueError(f"hidden_layer_sizes must hold {which}; got {sizes}.")
    return [int(size) for size in sizes]


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
