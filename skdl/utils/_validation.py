"""Input checks shared by the estimators: scikit-learn's ``validate_data`` with
errors that name the offending columns or rows, samples of different shapes,
labels of mixed types, and float32's range.
"""

from __future__ import annotations

import contextlib
import math
import mmap
import warnings
from collections.abc import Iterator, Sequence
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.validation import column_or_1d
from sklearn.utils.validation import validate_data as _sklearn_validate_data

from .._warnings import external_stacklevel
from ._numbers import check_number

__all__ = [
    "as_array",
    "changed_params",
    "check_count",
    "check_float32_range",
    "check_label_types",
    "check_layer_sizes",
    "check_number",
    "check_x_fits_float32",
    "explain_float32_overflow",
    "input_float_dtype",
    "is_memory_mapped",
    "labels_1d",
    "refuse_beyond_float32",
    "validate_data",
]


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
    checked = _checked_fast(estimator, X, y, kwargs)
    if checked is not None:
        return checked
    try:
        with explain_float32_overflow(estimator, X):
            return _sklearn_validate_data(estimator, X, y, **kwargs)
    except ValueError as error:
        ragged = _ragged_error(
            X,
            owner=type(estimator).__name__,
            sample="row",
            advice="Give every row the same number of features.",
            error=error,
        )
        if ragged is not None:
            raise ragged from None
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


def _checked_fast(estimator, X, y, kwargs) -> np.ndarray | None:
    """What scikit-learn's ``validate_data`` would return for a fitted
    estimator, when it would return it without a word; else None.

    Answers the common case of prediction only: a plain 2-D float32 or float64
    ndarray, at least one row, as many columns as at fit, finite values in the
    asked float type, and an estimator fitted without feature names. ``X``
    comes back itself when it has the asked type, else cast as scikit-learn
    casts it (same layout). scikit-learn's checks of such an array took 63 us,
    two thirds of one-row prediction time; these take 3 (plus the cast).
    Anything else goes through scikit-learn, which raises or warns as it does.
    """
    dtype = kwargs.get("dtype")
    if not (
        type(X) is np.ndarray
        and isinstance(y, str)
        and y == "no_validation"
        and kwargs.get("reset", True) is False
        and kwargs.keys() <= {"reset", "dtype", "accept_sparse"}
        and dtype in (np.float32, np.float64)
        and X.dtype in (np.float32, np.float64)
        and X.ndim == 2
        and X.shape[0] >= 1
        and X.shape[1] == getattr(estimator, "n_features_in_", None)
        and not hasattr(estimator, "feature_names_in_")
    ):
        return None
    # a cast to float32 turns values beyond its range into infinities
    with np.errstate(over="ignore", invalid="ignore"):
        cast = X if X.dtype == dtype else X.astype(dtype)
        # a finite sum means finite values (NaN or inf would spread to it); a
        # sum of finite values that overflows only takes the long way
        return cast if np.isfinite(cast.sum()) else None


@contextlib.contextmanager
def explain_float32_overflow(estimator, X) -> Iterator[None]:
    """Context for scikit-learn's checks of ``X`` in float32: values beyond
    float32's range get skdl's error (:func:`refuse_beyond_float32`).

    The cast turns them into infinities, which scikit-learn then refuses as "too
    large for dtype('float32')". numpy's warnings on the way (the cast's
    overflow; the invalid value of scikit-learn's quick finiteness test, a sum,
    when infinities of both signs meet) would only precede that error or
    another of scikit-learn's, and are silenced.
    """
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            yield
    except ValueError as error:
        if "too large for dtype('float32')" in str(error):
            refuse_beyond_float32(estimator, X)
        raise


def refuse_beyond_float32(estimator, X) -> None:
    """Say which values of ``X`` float32 cannot hold, and what to do.

    Raises nothing when every value fits, or when ``X`` holds infinities or
    NaNs (scikit-learn's finiteness errors say what to do about those).

    Examples
    --------
    >>> from skdl import MLPClassifier
    >>> refuse_beyond_float32(MLPClassifier(), np.array([[1e39, 0.0]]))
    Traceback (most recent call last):
    ...
    ValueError: X holds values up to 1e+39 in absolute value, beyond ...
    """
    if sp.issparse(X):  # its stored values
        X = X.data
    if isinstance(X, np.ndarray) and X.dtype.kind == "f":
        values = X
    else:
        try:
            values = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError):
            return
    if np.isfinite(values).all():
        check_x_fits_float32(estimator, values)


def check_x_fits_float32(estimator, values: np.ndarray) -> None:
    """:func:`refuse_beyond_float32` for an array already checked to be finite
    (images, after :func:`~skdl.utils.check_images`): no second pass for that.

    Examples
    --------
    >>> from skdl import CNNClassifier
    >>> check_x_fits_float32(CNNClassifier(), np.full((1, 2, 2, 1), -1e39))
    Traceback (most recent call last):
    ...
    ValueError: X holds values up to 1e+39 in absolute value, beyond ...
    """
    name = type(estimator).__name__
    other = (
        ", or set precision='float64'"
        if "precision" in estimator.get_params(deep=False)
        else ""
    )
    check_float32_range(
        values,
        subject="X holds",
        advice=f"{name} computes. Scale X (e.g. with StandardScaler){other}.",
    )


def as_array(X, *, owner: str, sample: str, advice: str) -> np.ndarray:
    """``np.asarray(X)``, or a clear error when ``X`` holds samples of
    different shapes.

    NumPy reports a list of differently sized images or sequences as "setting
    an array element with a sequence ... inhomogeneous shape", without saying
    which. This names the first sample whose shape differs from the first
    one's. A 1-D object array of arrays (how NumPy stores such a list) is
    stacked like the list it came from.

    Parameters
    ----------
    X : array-like
        The samples.
    owner : str
        The estimator's name, for the message.
    sample : str
        What one sample is ('image', 'sequence', 'row').
    advice : str
        What to change, as a sentence.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> as_array([np.zeros((8, 8)), np.zeros((8, 7))], owner="CNNClassifier",
    ...          sample="image", advice="Resize them to one size first.")
    Traceback (most recent call last):
    ...
    ValueError: CNNClassifier got images of different shapes: image 0 has shape ...
    """
    if isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1:
        if len(X) and all(isinstance(item, np.ndarray | list) for item in X):
            X = list(X)
    if getattr(X, "requires_grad", False) is True and hasattr(X, "detach"):
        # NumPy refuses a torch tensor that autograd tracks
        raise TypeError(
            f"{owner} got a torch tensor that requires grad; it computes "
            "without autograd. Pass X.detach() (or X.detach().cpu().numpy())."
        )
    try:
        return np.asarray(X)
    except ValueError as error:
        ragged = _ragged_error(
            X, owner=owner, sample=sample, advice=advice, error=error
        )
        if ragged is None:
            raise
        raise ragged from None


def _ragged_error(X, *, owner, sample, advice, error) -> ValueError | None:
    """The error for samples of different shapes, when NumPy's ``error`` is
    about them; None otherwise.
    """
    if "inhomogeneous" not in str(error) or not isinstance(X, list | tuple):
        return None
    shapes = []
    for item in X:
        try:
            shapes.append(np.shape(item))
        except ValueError:  # an item that is itself ragged
            shapes.append("of items of different lengths")
        if shapes[-1] != shapes[0]:
            break
    index = len(shapes) - 1
    if not index:
        return None

    def shape(value):
        return value if isinstance(value, str) else f"shape {value}"

    return ValueError(
        f"{owner} got {sample}s of different shapes: {sample} 0 has "
        f"{shape(shapes[0])}, {sample} {index} has {shape(shapes[index])}. {advice}"
    )


def check_label_types(y, *, owner: str, name: str = "y") -> None:
    """Raise if the labels in ``y`` mix strings with other types.

    NumPy would turn ``[1, 'a']`` into the strings ``['1', 'a']`` (so that
    predictions come back as strings), and sort an object array of both with a
    ``TypeError``. scikit-learn refuses such labels in its metrics ("Mix of label
    input types (string and number)"); skdl refuses them at fit.

    Examples
    --------
    >>> check_label_types([1, "a", 1], owner="MLPClassifier")
    Traceback (most recent call last):
    ...
    ValueError: Mix of label input types (string and number) in y: ...
    """
    values = getattr(y, "values", y)  # pandas Series
    if isinstance(values, np.ndarray):
        if values.dtype != object:
            return
        values = values.ravel()
    elif not isinstance(values, list | tuple):
        return
    text = next((v for v in values if isinstance(v, str)), None)
    other = next((v for v in values if not isinstance(v, str)), None)
    if text is None or other is None or isinstance(other, list | tuple):
        return
    raise ValueError(
        f"Mix of label input types (string and number) in {name}: {text!r} and "
        f"{other!r} ({type(other).__name__}). {owner} needs labels of one type, "
        "or 1 and '1' would be read as one class and predicted as strings: "
        f"convert them first, e.g. {name} = [str(label) for label in {name}]."
    )


def input_float_dtype(X) -> type:
    """The float type that scikit-learn computes in for ``X``: float32 or float64.

    float32 when ``X`` holds float32 values: an array or a sparse matrix of
    float32, or a DataFrame whose NumPy column dtypes combine to float32 (float32
    with int8 or int16 columns does); float64 for anything else (lists, other
    dtypes, pandas' nullable ``Float32``), as scikit-learn's ``check_array``
    with ``dtype=(np.float64, np.float32)`` gives. It is the dtype of the float
    outputs computed from ``X``, whatever precision the model computes in, and
    the precision of a fit with ``precision='auto'`` on the CPU.

    Examples
    --------
    >>> input_float_dtype(np.zeros((2, 3), dtype=np.float32)).__name__
    'float32'
    >>> input_float_dtype([[1, 2, 3]]).__name__
    'float64'
    """
    dtype = getattr(X, "dtype", None)
    dtypes = getattr(X, "dtypes", None)
    if dtype is None and dtypes is not None:  # a DataFrame (pandas or Dask)
        dtypes = list(dtypes)
        if dtypes and all(isinstance(d, np.dtype) for d in dtypes):
            dtype = np.result_type(*dtypes)
    if isinstance(dtype, np.dtype) and dtype == np.float32:
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
    # the extremes without a temporary copy of the values (images can be large)
    largest = max(abs(float(values.max())), abs(float(values.min())))
    limit = np.finfo(np.float32).max
    if largest > float(limit):
        raise ValueError(
            f"{subject} values up to {largest:.3g} in absolute value, beyond "
            f"float32's range ({limit:.3g}), in which {advice}"
        )


def changed_params(now: dict, before: dict, keys=None) -> list[str]:
    """The parameters (of ``keys``, else of ``now``) whose value in ``now``
    differs from the one in ``before``; parameters missing from either count
    as unchanged.

    Values are compared by identity, then by ``repr``: a parameter may hold an
    object without a useful ``==`` (a callback, a tuple of arrays). NumPy
    scalars read as the Python numbers they hold (``np.int64(1)`` is ``1``),
    while an int and a float stay apart (``min_df=1`` is one document,
    ``min_df=1.0`` all of them).

    Examples
    --------
    >>> changed_params({"a": 1, "b": (2, 3)}, {"a": 1, "b": (2, 4)})
    ['b']
    >>> changed_params({"a": np.int64(1), "b": 1.0}, {"a": 1, "b": 1})
    ['b']
    """
    return [
        key
        for key in (now if keys is None else keys)
        if key in now
        and key in before
        and now[key] is not before[key]
        and repr(_plain(now[key])) != repr(_plain(before[key]))
    ]


def _plain(value):
    """``value`` with NumPy scalars, also inside tuples and lists, as Python's."""
    if isinstance(value, np.generic):
        return value.item()
    if type(value) in (tuple, list):
        return type(value)(_plain(item) for item in value)
    return value


def is_memory_mapped(X) -> bool:
    """Whether ``X`` is a numpy array whose memory is a file mapping."""
    while isinstance(X, np.ndarray):
        if isinstance(X, np.memmap):
            return True
        X = X.base
    return isinstance(X, mmap.mmap)


def check_count(value, name: str, minimum: int) -> int:
    """A method's count argument (``n_samples``, ``n_words``...) as an int.

    Raises a ValueError naming ``name`` unless ``value`` is an integer (not a
    bool) of at least ``minimum`` (see :func:`check_number`).

    Examples
    --------
    >>> check_count(3, "n_samples", 1)
    3
    >>> check_count(0, "n_samples", 1)
    Traceback (most recent call last):
    ...
    ValueError: n_samples must be an int >= 1; got 0.
    """
    return check_number(value, name, low=minimum, integer=True)


def labels_1d(y) -> np.ndarray:
    """``y`` as a 1-D array, warning of a column vector as scikit-learn does.

    scikit-learn's ``column_or_1d(y, warn=True)`` would name a line of skdl; the
    warning names the user's line that called skdl.

    Examples
    --------
    >>> labels_1d([1, 0, 1])
    array([1, 0, 1])
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please "
            "change the shape of y to (n_samples, ), for example using ravel().",
            DataConversionWarning,
            stacklevel=external_stacklevel(),
        )
    return column_or_1d(y)


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
        not isinstance(size, Real)  # a nested tuple or None has no int()
        # NaN and inf have none either; an int is finite (and math.isfinite
        # would overflow on a huge one)
        or (not isinstance(size, Integral) and not math.isfinite(size))
        or int(size) != size
        or size < 1
        for size in sizes
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
