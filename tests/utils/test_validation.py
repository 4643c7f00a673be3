"""skdl's validate_data against scikit-learn's: the same arrays, warnings and errors."""

import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.datasets import load_iris
from sklearn.utils.validation import validate_data as sklearn_validate_data

from skdl import MLPClassifier
from skdl.utils._validation import (
    changed_params,
    check_count,
    check_layer_sizes,
    check_number,
    validate_data,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
F32 = X_IRIS.astype(np.float32)
BIG = np.finfo(np.float32).max


def _fitted(with_names):
    X = pd.DataFrame(F32, columns=list("abcd")) if with_names else F32
    return MLPClassifier((3,), max_iter=2, random_state=0).fit(X, Y_IRIS)


INPUTS = {
    "float32 rows": F32[:5],
    "one row": F32[:1],
    "Fortran order": np.asfortranarray(F32[:5]),
    "strided view": F32[::2],
    "float64 rows": X_IRIS[:5],
    "one float64 row": X_IRIS[:1],
    "float64 in Fortran order": np.asfortranarray(X_IRIS[:5]),
    "float64 strided view": X_IRIS[::3, ::1],
    "float64 NaN": np.where(np.eye(5, 4, dtype=bool), np.nan, X_IRIS[:5]),
    "float64 that rounds in float32": X_IRIS[:5] + 1e-9,
    "float16 rows": X_IRIS[:5].astype(np.float16),
    "int rows": X_IRIS[:5].astype(int),
    "too few columns": F32[:5, :3],
    "no rows": F32[:0],
    "1-D": F32[0],
    "3-D": F32[:4].reshape(2, 2, 4),
    "NaN": np.where(np.eye(5, 4, dtype=bool), np.nan, F32[:5]).astype(np.float32),
    "infinity": np.full((2, 4), np.inf, dtype=np.float32),
    "finite values whose sum overflows": np.full((3, 4), BIG, dtype=np.float32),
    "list": F32[:3].tolist(),
    "memmap-like subclass": F32[:3].view(np.matrix),
}


def _outcome(validate, estimator, X, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = validate(estimator, X, **kwargs)
        except (ValueError, TypeError) as error:
            result = f"{type(error).__name__}: {error}"
    return result, [f"{w.category.__name__}: {w.message}" for w in caught]


@pytest.mark.parametrize("with_names", [False, True], ids=["array", "DataFrame"])
@pytest.mark.parametrize("assume_finite", [False, True])
@pytest.mark.parametrize("name", INPUTS)
def test_prediction_checks_agree_with_scikit_learns(name, assume_finite, with_names):
    # skdl answers the common case (a finite float array of the fitted width)
    # itself; everything must come out as scikit-learn's validate_data has it
    estimator = _fitted(with_names)
    X = INPUTS[name]
    kwargs = {"accept_sparse": ("csr", "csc"), "dtype": np.float32, "reset": False}
    with sklearn.config_context(assume_finite=assume_finite):
        ours, our_warnings = _outcome(validate_data, estimator, X, **kwargs)
        theirs, their_warnings = _outcome(sklearn_validate_data, estimator, X, **kwargs)
    assert our_warnings == their_warnings
    if isinstance(theirs, str):
        assert ours == theirs
    else:
        assert type(ours) is type(theirs) and ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)
        assert ours.flags.c_contiguous == theirs.flags.c_contiguous


def test_the_common_case_returns_the_array_itself():
    estimator = _fitted(with_names=False)
    X = F32[:5]
    kwargs = {"accept_sparse": ("csr", "csc"), "dtype": np.float32, "reset": False}
    assert validate_data(estimator, X, **kwargs) is X
    assert sklearn_validate_data(estimator, X, **kwargs) is X


def test_float64_beyond_float32s_range_is_refused_with_what_to_do():
    # scikit-learn says "Input X contains infinity or a value too large for
    # dtype('float32')"; skdl names the values and the fix
    estimator = _fitted(with_names=False)
    kwargs = {"accept_sparse": ("csr", "csc"), "dtype": np.float32, "reset": False}
    with pytest.raises(ValueError, match=r"up to 1e\+39 .*float32's range.*Scale X"):
        validate_data(estimator, np.full((2, 4), 1e39), **kwargs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_float64_model_takes_float32_and_float64_rows(dtype):
    # precision='float64' asks for float64: float32 rows are cast up
    estimator = MLPClassifier((3,), max_iter=2, precision="float64", random_state=0)
    estimator.fit(X_IRIS, Y_IRIS)
    X = X_IRIS[:4].astype(dtype)
    kwargs = {"accept_sparse": ("csr", "csc"), "dtype": np.float64, "reset": False}
    ours = validate_data(estimator, X, **kwargs)
    theirs = sklearn_validate_data(estimator, X, **kwargs)
    assert ours.dtype == theirs.dtype == np.float64
    np.testing.assert_array_equal(ours, theirs)


def test_numbers_are_checked_without_a_float_conversion():
    # math.isnan raised OverflowError for an int beyond float's range
    assert check_count(10**400, "n_samples", 1) == 10**400
    assert check_number(10**400, "tol", low=0) == 10**400
    with pytest.raises(ValueError, match=r"^n_samples must be an int >= 1; got -"):
        check_count(-(10**400), "n_samples", 1)
    for nan in (float("nan"), np.float32("nan")):
        with pytest.raises(ValueError, match=r"tol must be a number in \[0, inf\)"):
            check_number(nan, "tol", low=0)
    # the layer sizes' check as well
    assert check_layer_sizes((10**400,)) == [10**400]
    with pytest.raises(ValueError, match="hidden_layer_sizes must hold"):
        check_layer_sizes((np.float32("inf"),))


def test_changed_params_reads_numpy_scalars_as_python_numbers():
    # np.int64(1) after fitting with 1 refused a warm start as a change
    before = {"min_df": 1, "ngram_range": (1, 2), "alpha": 0.5, "name": "a"}
    same = {
        "min_df": np.int64(1),
        "ngram_range": (np.int32(1), np.int64(2)),
        "alpha": np.float64(0.5),
        "name": np.str_("a"),
    }
    assert changed_params(same, before) == []
    # an int and a float mean different things (min_df: documents or a share)
    assert changed_params({"min_df": 1.0, "ngram_range": [1, 2]}, before) == [
        "min_df",
        "ngram_range",
    ]
