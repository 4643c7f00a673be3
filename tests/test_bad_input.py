"""Bad input to every public estimator: a clear error, or a documented handling.

Each test feeds one kind of bad input to every estimator of ``estimator_cases``
that can receive it, and asserts the exception type and a message that names the
problem. Bad input given to ``fit`` or ``predict``/``transform`` of a fitted
estimator must leave it as it was: it still returns exactly the same output on
its training data afterwards (``rejects`` checks that for every case).

Per-family details stay in the family's tests (image layouts in
``tests/utils/test_images.py``, documents in ``tests/neural_network/test_text.py``);
sample weights in ``tests/test_base.py``.
"""

from __future__ import annotations

import functools
import inspect
import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from estimator_cases import CASES, PUBLIC_ESTIMATORS, case_ids, cases, output
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils.validation import has_fit_parameter

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore:batch_size=.*is larger than"),
]

NUMERIC = cases(kinds={"tabular", "sequences", "images"})
# numeric estimators whose fitted methods read X (samplers draw without it, and
# read 3-D arrays as images)
READERS = [pair for pair in NUMERIC if pair[1].reads_X]
TABULAR = cases(kinds={"tabular"})
SEQUENCES = cases(kinds={"sequences"})
IMAGES = cases(kinds={"images"})
SUPERVISED = cases(tasks={"classifier", "regressor"})
CLASSIFIERS = cases(tasks={"classifier"})
REGRESSORS = cases(tasks={"regressor"})
WEIGHTED = [
    (name, case)
    for name, case in SUPERVISED
    if has_fit_parameter(case.make(), "sample_weight")
    and "validation_data" in inspect.signature(case.make().fit).parameters
]
TEXT = cases(kinds={"text"})

_FITTED: dict[str, tuple] = {}


def fitted(name):
    """A fitted estimator of the case, its data and its output on them (cached).

    Every test that uses it checks that the output has not changed, so sharing
    the estimator between tests is safe.
    """
    if name not in _FITTED:
        case = CASES[name]
        X, y = case.data()
        estimator = case.make().fit(X, y)
        _FITTED[name] = (estimator, X, y, output(estimator, X))
    return _FITTED[name]


def rejects(name, call, error, match):
    """``call(estimator, X, y)`` raises ``error`` matching ``match`` and changes
    nothing."""
    estimator, X, y, before = fitted(name)
    with pytest.raises(error, match=match):
        call(estimator, X, y)
    np.testing.assert_array_equal(output(estimator, X), before)


def in_both(name, make_bad, error, match):
    """The same bad X is refused by ``fit`` (of a fitted estimator) and at predict
    (by estimators whose fitted methods read X)."""
    rejects(name, lambda e, X, y: e.fit(make_bad(X), y), error, match)
    if CASES[name].reads_X:
        rejects(name, lambda e, X, y: output(e, make_bad(X)), error, match)


def with_value(X, value, index=1):
    X = np.array(X, dtype=np.float64)
    X.flat[index] = value
    return X


def test_every_public_estimator_has_a_case():
    missing = sorted(set(PUBLIC_ESTIMATORS) - set(CASES))
    assert not missing, (
        f"{missing} in skdl.__all__ have no entry in tests/estimator_cases.py: add "
        "a Case (small estimator, valid data, kind) so the reliability tests cover "
        "them."
    )
    assert set(CASES) <= set(PUBLIC_ESTIMATORS)


# -- values ------------------------------------------------------------------------
# methods that need no fitted state, or fit it
_UNFITTED_OK = {"fit", "fit_transform", "fit_predict", "partial_fit", "fit_distributed"}


def _public_methods(estimator) -> list[str]:
    """The estimator's own public methods, beyond scikit-learn's protocol."""
    return sorted(
        name
        for name, member in inspect.getmembers(type(estimator), inspect.isfunction)
        if not name.startswith(("_", "get_", "set_"))
        and name not in _UNFITTED_OK
        and "fitted" not in name
        and hasattr(estimator, name)  # available_if
    )


@pytest.mark.parametrize(("name", "case"), sorted(CASES.items()), ids=sorted(CASES))
def test_every_method_before_fit_raises_not_fitted(name, case):
    estimator = case.make()
    X, y = case.data()
    for method in _public_methods(estimator):
        bound = getattr(estimator, method)
        args = [
            {"y": y, "n_samples": 2, "n_words": 2}.get(parameter.name, X)
            for parameter in inspect.signature(bound).parameters.values()
            if parameter.default is inspect.Parameter.empty
            and parameter.kind is parameter.POSITIONAL_OR_KEYWORD
        ]
        with pytest.raises(NotFittedError):
            bound(*args)


@pytest.mark.parametrize(("name", "case"), NUMERIC, ids=case_ids(NUMERIC))
@pytest.mark.parametrize(
    ("value", "match"), [(np.nan, "Input X contains NaN"), (np.inf, "infinity")]
)
def test_nan_and_inf_are_refused(name, case, value, match):
    in_both(name, lambda X: with_value(X, value), ValueError, match)


@pytest.mark.filterwarnings("error::numpy.exceptions.ComplexWarning")
@pytest.mark.parametrize(("name", "case"), NUMERIC, ids=case_ids(NUMERIC))
def test_complex_values_are_refused(name, case):
    """As scikit-learn does: dropping the imaginary part would be a silent guess."""
    in_both(name, lambda X: np.asarray(X) + 1j, ValueError, "[Cc]omplex")


# what an error about huge values must say: a value float32 cannot hold, or the
# value range the estimator models; a value it holds may also overflow the
# model's arithmetic (non-finite outputs, divergence of training)
_BEYOND_FLOAT32 = r"beyond float32's range|values in \[0, 1\]|features in \[0, 1\]"
_HUGE = {
    -1e39: _BEYOND_FLOAT32,
    1e30: _BEYOND_FLOAT32 + r"|NaN or infinite outputs|training diverged",
}


# numpy's overflow warnings would only precede skdl's error: none may reach users
@pytest.mark.filterwarnings("error:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize(("name", "case"), NUMERIC, ids=case_ids(NUMERIC))
@pytest.mark.parametrize("value", [1e30, -1e39])
def test_huge_values_give_finite_output_or_a_clear_error(name, case, value):
    """Never NaN or infinite output from finite input, and never a warning.

    1e30 fits in float32 but can overflow a model's float32 arithmetic; 1e39 is
    finite in float64 and infinite in float32, where the models compute: the
    error says so, not what the infinities then did.
    """
    estimator, X, y, before = fitted(name)
    huge = with_value(X, value, index=slice(None, None, 7))
    for call in (
        lambda: output(estimator, huge),
        lambda: output(case.make().fit(huge, y), X),
    ):
        try:
            result = call()
        except ValueError as error:  # DivergenceError is a ValueError too
            assert re.search(_HUGE[value], str(error)), str(error)
        else:
            assert np.isfinite(np.asarray(result, dtype=float)).all()
    np.testing.assert_array_equal(output(estimator, X), before)


# -- shapes ------------------------------------------------------------------------
def _one_more_feature(X):
    return np.concatenate([X, X[..., :1]], axis=-1)


_WRONG_WIDTH = {
    "tabular": r"X has 5 features, but {name} is expecting 4 features|"
    r"X has 7 features, but {name} is expecting 6 features",
    "sequences": r"X has samples of shape \(6, 3\), but {name} was fitted on "
    r"samples of shape \(6, 2\)",
    "images": r"{name} (was fitted on images of shape \(\d+, \d+, \d\) \(height, "
    r"width, channels\); got images of shape|needs images with 3 channels; got 4)",
}


@pytest.mark.parametrize(("name", "case"), READERS, ids=case_ids(READERS))
def test_wrong_number_of_features_or_image_shape_at_predict(name, case):
    match = _WRONG_WIDTH[case.kind].format(name=name)
    rejects(name, lambda e, X, y: output(e, _one_more_feature(X)), ValueError, match)
    if case.kind == "images":
        rejects(
            name,
            lambda e, X, y: output(e, X[:, 1:]),
            ValueError,
            rf"{name} was fitted on images of shape .*got images of shape",
        )


@pytest.mark.parametrize(("name", "case"), NUMERIC, ids=case_ids(NUMERIC))
def test_one_dimensional_X_is_refused(name, case):
    in_both(
        name,
        lambda X: np.asarray(X, dtype=float).ravel()[:10],
        ValueError,
        r"Expected 2D array, got 1D array instead",
    )


_TOO_MANY_DIMS = {
    "tabular": r"Found array with dim 3, while dim <= 2 is required by {name}",
    "sequences": r"{name} takes arrays of shape \(n_samples, n_timesteps, "
    r"n_features\).*got an array of shape \(\d+, 6, 2, 1\)",
    "images": r"{name} expects images as a 2-D array of flat rows, 3-D .* or 4-D "
    r".*got an array with shape",
}


@pytest.mark.parametrize(("name", "case"), READERS, ids=case_ids(READERS))
def test_too_many_dimensions_are_refused(name, case):
    def more_dims(X):
        X = np.asarray(X, dtype=float)
        return (
            X[..., None] if X.ndim != 3 or case.kind != "images" else X[..., None, None]
        )

    in_both(name, more_dims, ValueError, _TOO_MANY_DIMS[case.kind].format(name=name))


@pytest.mark.parametrize(("name", "case"), SEQUENCES, ids=case_ids(SEQUENCES))
def test_sequence_models_fitted_on_3d_refuse_2d(name, case):
    rejects(
        name,
        lambda e, X, y: output(e, X[:, :, 0]),
        ValueError,
        rf"{name} was fitted on samples of shape \(6, 2\); got X of shape \(\d+, 6\)",
    )


@pytest.mark.parametrize(("name", "case"), sorted(CASES.items()), ids=sorted(CASES))
def test_empty_X_is_refused(name, case):
    match = r"0 sample\(s\)|got 0 images|got 0 documents; at least 1 is required"

    def empty(X):
        return [] if case.kind == "text" else np.asarray(X)[:0]

    def empty_y(y):
        return None if y is None else y[:0]

    rejects(name, lambda e, X, y: e.fit(empty(X), empty_y(y)), ValueError, match)
    if case.reads_X:
        rejects(name, lambda e, X, y: output(e, empty(X)), ValueError, match)


_SAMPLE = {"tabular": "row", "sequences": "sequence", "images": "image"}


def _ragged(X):
    """``X`` as a list of samples whose sample 1 is one row (or step) short."""
    samples = [np.asarray(sample) for sample in np.asarray(X)]
    samples[1] = samples[1][:-1]
    return samples


@pytest.mark.parametrize(("name", "case"), NUMERIC, ids=case_ids(NUMERIC))
def test_samples_of_different_shapes_are_named(name, case):
    """A list of differently sized images, sequences or rows (or the object array
    NumPy makes of one) names the first odd sample instead of NumPy's
    'inhomogeneous shape'."""
    sample = _SAMPLE[case.kind]
    shape = np.asarray(case.data()[0]).shape[1:]
    short = (shape[0] - 1, *shape[1:])
    match = (
        rf"{name} got {sample}s of different shapes: {sample} 0 has shape "
        + re.escape(f"{shape}, {sample} 1 has shape {short}.")
    )

    def as_object_array(X):
        samples = _ragged(X)
        array = np.empty(len(samples), dtype=object)
        array[:] = samples
        return array

    in_both(name, _ragged, ValueError, match)
    if case.kind != "tabular":  # sklearn reads object arrays of rows itself
        in_both(name, as_object_array, ValueError, match)
        # samples of one shape in an object array are read like the list
        estimator, X, _y, before = fitted(name)
        same = np.empty(len(X), dtype=object)
        same[:] = list(np.asarray(X))
        np.testing.assert_array_equal(output(estimator, same), before)


_ZERO_SIZED = {
    "tabular": r"Found array with 0 feature\(s\)",
    "sequences": r"{name} needs sequences of at least 1 time step with at least 1 "
    r"feature each; got X of shape \(\d+, (0, 2|6, 0)\)",
    "images": r"{name} got images of empty size",
}


def _empty_axis(X, axis):
    return np.take(np.asarray(X), [], axis=axis)


@pytest.mark.parametrize(("name", "case"), NUMERIC, ids=case_ids(NUMERIC))
def test_samples_of_zero_size_are_refused(name, case):
    """Zero features, zero time steps, images of zero width."""
    match = _ZERO_SIZED[case.kind].format(name=name)
    axes = [1] if case.kind == "tabular" else [1, 2]
    for axis in axes:
        in_both(name, functools.partial(_empty_axis, axis=axis), ValueError, match)


@pytest.mark.parametrize(("name", "case"), sorted(CASES.items()), ids=sorted(CASES))
def test_a_single_sample(name, case):
    """Predicting one sample gives that sample's prediction; fitting on one works
    (a classifier then predicts its one class) except for LVQ, which needs two
    classes (see test_a_single_class)."""
    estimator, X, y, before = fitted(name)
    single = X[:1]
    one = output(estimator, single)
    assert len(one) == 1
    if case.task != "classifier":  # float32 rounding depends on the batch size
        np.testing.assert_allclose(one, before[:1], rtol=1e-5, atol=1e-6)
    else:
        assert one[0] == before[0]
    if name == "LVQClassifier":
        return
    # one sample leaves none to hold out for early stopping
    params = (
        {"early_stopping": False} if "early_stopping" in estimator.get_params() else {}
    )
    alone = case.make(**params).fit(single, None if y is None else y[:1])
    if case.task == "classifier":
        np.testing.assert_array_equal(output(alone, X), np.repeat(y[:1], len(y)))
    else:
        assert np.isfinite(np.asarray(output(alone, single), dtype=float)).all()


@pytest.mark.parametrize(("name", "case"), SUPERVISED, ids=case_ids(SUPERVISED))
def test_y_of_the_wrong_length_is_refused(name, case):
    rejects(
        name,
        lambda e, X, y: e.fit(X, y[:-1]),
        ValueError,
        rf"inconsistent numbers of samples: \[{len(case.data()[1])}, "
        rf"{len(case.data()[1]) - 1}\]",
    )


SPARSE = [
    (name, case) for name, case in NUMERIC if get_tags(case.make()).input_tags.sparse
]


def _in_float32(named_cases):
    """The cases whose estimator computes float64 X in float32 (not precision='auto',
    which computes it in float64, as scikit-learn does)."""
    return [
        (n, c)
        for n, c in named_cases
        if c.make().get_params().get("precision") != "auto"
    ]


AUTO_PRECISION = [
    (n, c) for n, c in SUPERVISED if c.make().get_params().get("precision") == "auto"
]


@pytest.mark.filterwarnings("error:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize(
    ("name", "case"), _in_float32(SPARSE), ids=case_ids(_in_float32(SPARSE))
)
def test_sparse_values_beyond_float32_are_named(name, case):
    in_both(
        name, lambda X: sp.csr_matrix(_beyond_float32(X)), ValueError, _BEYOND_FLOAT32
    )


def _beyond_float32(values):
    """``values`` (float64) with every 7th entry -1e39, finite only in float64."""
    return with_value(values, -1e39, index=slice(None, None, 7))


# regressors that compute in float32, where -1e39 is an infinity
@pytest.mark.filterwarnings("error:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize(
    ("name", "case"), _in_float32(REGRESSORS), ids=case_ids(_in_float32(REGRESSORS))
)
def test_targets_beyond_float32_are_refused(name, case):
    match = r"y holds values up to 1e\+39 .*beyond float32's range.*Scale y"
    rejects(name, lambda e, X, y: e.fit(X, _beyond_float32(y)), ValueError, match)
    rejects(
        name,
        lambda e, X, y: e.fit(X, y, validation_data=(X, _beyond_float32(y))),
        ValueError,
        "In validation_data: " + match,
    )
    if hasattr(case.make(), "partial_fit"):
        rejects(
            name,
            lambda e, X, y: e.partial_fit(X, _beyond_float32(y)),
            ValueError,
            match,
        )


@pytest.mark.filterwarnings("error:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize(
    ("name", "case"), _in_float32(WEIGHTED), ids=case_ids(_in_float32(WEIGHTED))
)
def test_weights_that_sum_beyond_float32_are_refused(name, case):
    """Each weight fits in float32 but their sum, which the loss divides by,
    does not: the error says to divide them by a constant."""
    match = r"sample_weight \(times class_weight\) sums to .*Divide the weights"

    def weights(y):
        return np.full(len(y), 1e38)

    rejects(
        name, lambda e, X, y: e.fit(X, y, sample_weight=weights(y)), ValueError, match
    )
    rejects(
        name,
        lambda e, X, y: e.fit(X, y, validation_data=(X, y, weights(y))),
        ValueError,
        "In validation_data: " + match,
    )


@pytest.mark.filterwarnings("error:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize(("name", "case"), AUTO_PRECISION, ids=case_ids(AUTO_PRECISION))
def test_values_beyond_float32_train_in_float64_with_precision_auto(name, case):
    """As in scikit-learn, float64 X, y and weights beyond float32's range train
    in float64; with precision='float32' they are refused, saying so."""
    X, y = case.data()
    huge_X = _beyond_float32(X)
    huge_y = _beyond_float32(y) if case.task == "regressor" else y
    weights = np.full(len(y), 1e38)
    for X_fit in (huge_X, sp.csr_matrix(huge_X)):
        model = case.make().fit(X_fit, huge_y, sample_weight=weights)
        assert model.coefs_[0].dtype == np.float64
        assert np.isfinite(np.asarray(output(model, X_fit), dtype=float)).all()
    with pytest.raises(ValueError, match=_BEYOND_FLOAT32):
        case.make(precision="float32").fit(sp.csr_matrix(huge_X), y)
    if case.task == "regressor":
        with pytest.raises(ValueError, match=r"y holds values up to 1e\+39"):
            case.make(precision="float32").fit(X, huge_y)
    with pytest.raises(ValueError, match=r"sums to .*Divide the weights"):
        case.make(precision="float32").fit(X, y, sample_weight=weights)


# -- labels ------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "case"), CLASSIFIERS, ids=case_ids(CLASSIFIERS))
def test_a_single_class(name, case):
    """As in scikit-learn, a classifier fitted on one class predicts it, with
    probability 1; LVQ, whose prototypes need rivals, refuses clearly."""
    X, y = case.data()
    one = np.full(len(y), y[0])
    if name == "LVQClassifier":
        rejects(
            name,
            lambda e, X, y: e.fit(X, one),
            ValueError,
            rf"{name} needs samples of at least 2 classes in y: .* got 1 class: "
            + re.escape(repr(np.asarray([y[0]]).tolist())),
        )
        return
    model = case.make().fit(X, one)
    np.testing.assert_array_equal(model.classes_, [y[0]])
    np.testing.assert_array_equal(model.predict(X), one)
    np.testing.assert_array_equal(model.predict_proba(X), np.ones((len(y), 1)))


@pytest.mark.parametrize(("name", "case"), CLASSIFIERS, ids=case_ids(CLASSIFIERS))
def test_early_stopping_names_the_class_it_cannot_split(name, case):
    """scikit-learn's train_test_split would speak of test_size and of encoded
    class indices; the error names the class and skdl's parameters."""
    y = np.asarray(case.data()[1]).copy()
    odd = "lonely" if y.dtype.kind == "U" else 7
    y = y.astype(object)
    y[0] = odd
    y = y.astype(str if odd == "lonely" else int)
    rejects(
        name,
        lambda e, X, _: case.make(early_stopping=True).fit(X, y),
        ValueError,
        rf"{name} with early_stopping=True sets aside validation_fraction=0\.1 of "
        rf"each class for validation, so every class needs at least 2 samples; "
        rf"class {odd!r} has only 1\. Add samples of that class, or set "
        r"early_stopping=False",
    )
    # one sample left to train on: fewer than the classes
    n_samples, n_classes = len(y), len(np.unique(case.data()[1]))
    fraction = (n_samples - 1.5) / n_samples
    rejects(
        name,
        lambda e, X, y: case.make(
            early_stopping=True, validation_fraction=fraction
        ).fit(X, y),
        ValueError,
        rf"{name} with early_stopping=True splits the {n_samples} samples by class, "
        rf"so the training part needs one sample of each of the {n_classes} "
        rf"classes; validation_fraction={fraction} gives it 1\. To fix, lower "
        r"validation_fraction to at most [\d.]+, add samples, or set "
        r"early_stopping=False",
    )


@pytest.mark.parametrize(("name", "case"), CLASSIFIERS, ids=case_ids(CLASSIFIERS))
def test_labels_unseen_in_fit(name, case):
    """Scoring counts an unseen label as an error (it cannot be predicted);
    partial_fit refuses it, since the output layer has no unit for it."""
    estimator, X, y, before = fitted(name)
    unseen = "unseen" if y.dtype.kind == "U" else 99
    y_test = np.array(y, dtype=object)
    y_test[::2] = unseen
    y_test = y_test.astype(y.dtype) if y.dtype.kind != "U" else y_test.astype(str)
    assert estimator.score(X, y_test) == pytest.approx(np.mean(before == y_test))
    assert np.mean(before == y_test) <= 0.5
    assert set(np.unique(before)) <= set(estimator.classes_)
    if hasattr(estimator, "partial_fit"):
        rejects(
            name,
            lambda e, X, y: e.partial_fit(X, y_test),
            ValueError,
            rf"y contains labels that were not seen before: \[{unseen!r}\]",
        )
    np.testing.assert_array_equal(output(estimator, X), before)


@pytest.mark.parametrize(("name", "case"), CLASSIFIERS, ids=case_ids(CLASSIFIERS))
def test_labels_of_mixed_types_are_refused(name, case):
    """NumPy would read [1, 'a'] as the strings ['1', 'a'] (predictions then come
    back as strings) and fail to sort an object array of both."""
    mixed = np.array([1, "a"] * 30, dtype=object)[: len(case.data()[1])]
    match = (
        r"Mix of label input types \(string and number\) in y: 'a' and 1 \(int\)\. "
        rf"{name} needs labels of one type"
    )
    rejects(name, lambda e, X, y: e.fit(X, list(mixed)), ValueError, match)
    rejects(name, lambda e, X, y: e.fit(X, mixed), ValueError, match)
    rejects(name, lambda e, X, y: e.fit(X, pd.Series(mixed)), ValueError, match)
    if hasattr(case.make(), "partial_fit"):
        rejects(
            name,
            lambda e, X, y: case.make().partial_fit(X, y, classes=[0, 1, 2, "a"]),
            ValueError,
            r"Mix of label input types \(string and number\) in classes",
        )


# -- dtypes and containers -----------------------------------------------------------
_STRINGS_IN_X = {
    "tabular": r"could not convert string to float: 'a'",
    "sequences": r"could not convert string to float: 'a'",
    "images": r"{name} takes numeric images; got an array of dtype object",
}


@pytest.mark.parametrize(("name", "case"), NUMERIC, ids=case_ids(NUMERIC))
def test_object_arrays(name, case):
    """Numbers in an object array are read as numbers (images excepted: their
    dtype sets the value range); a string among them is an error naming it."""

    def with_string(X):
        X = np.asarray(X).astype(object)
        X.flat[0] = "a"
        return X

    error = TypeError if case.kind == "images" else ValueError
    in_both(name, with_string, error, _STRINGS_IN_X[case.kind].format(name=name))
    estimator, X, _y, before = fitted(name)
    if case.kind != "images":
        np.testing.assert_array_equal(
            output(estimator, np.asarray(X).astype(object)), before
        )


@pytest.mark.filterwarnings("ignore:X has feature names:UserWarning")
@pytest.mark.parametrize(("name", "case"), TABULAR, ids=case_ids(TABULAR))
def test_dataframes(name, case):
    """Integer column names are no feature names (as in sklearn); mixed int and
    str names and a text column are errors, the latter naming the column."""
    estimator, X, y, before = fitted(name)
    np.testing.assert_array_equal(output(estimator, pd.DataFrame(X)), before)
    assert not hasattr(case.make().fit(pd.DataFrame(X), y), "feature_names_in_")

    def mixed_names(X):
        return pd.DataFrame(X, columns=[0, *(f"x{i}" for i in range(1, X.shape[1]))])

    def text_column(X):
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        frame["x0"] = "red"
        return frame

    rejects(
        name,
        lambda e, X, y: e.fit(mixed_names(X), y),
        TypeError,
        r"Feature names are only supported if all input features have string names",
    )
    in_both(
        name,
        text_column,
        ValueError,
        rf"{name} needs numeric features, but column 'x0' of X holds text\. "
        r"Encode .*OneHotEncoder.*\(could not convert string to float: 'red'\)",
    )


def _layouts(X):
    """The same values as ``X`` in other memory layouts."""
    X = np.asarray(X)
    wide = np.zeros((*X.shape[:-1], 2 * X.shape[-1]), dtype=X.dtype)
    wide[..., ::2] = X
    return {"Fortran-ordered": np.asfortranarray(X), "strided view": wide[..., ::2]}


@pytest.mark.parametrize(("name", "case"), NUMERIC, ids=case_ids(NUMERIC))
def test_memory_layout_changes_no_bit(name, case):
    """The same numbers in give the same numbers out, whatever the layout: the
    kernels' summation order can follow the strides of their input."""
    estimator, X, y, before = fitted(name)
    for layout, other in _layouts(X).items():
        np.testing.assert_array_equal(
            output(estimator, other), before, err_msg=f"predicting on a {layout}"
        )
        np.testing.assert_array_equal(
            output(case.make().fit(other, y), X),
            before,
            err_msg=f"fitting on a {layout}",
        )


def test_rows_reach_the_module_c_contiguous():
    from skdl._net import to_rows

    X = np.arange(12, dtype=np.float32).reshape(4, 3)
    for other in _layouts(X).values():
        rows = to_rows(other, torch.device("cpu"))
        assert rows.is_contiguous()
        assert torch.equal(rows, torch.from_numpy(X))


@pytest.mark.parametrize(("name", "case"), NUMERIC, ids=case_ids(NUMERIC))
def test_sparse_matrices_are_used_or_refused_clearly(name, case):
    """Estimators whose tags accept sparse input give the dense results; the
    others raise a TypeError that says to convert (or a shape error for models
    fitted on 3-D sequences)."""
    estimator, X, y, before = fitted(name)
    flat = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    matrix = sp.csr_matrix(flat)
    if estimator.__sklearn_tags__().input_tags.sparse:
        np.testing.assert_allclose(output(estimator, matrix), before, rtol=1e-6)
        refit = case.make().fit(matrix, y)
        np.testing.assert_allclose(output(refit, flat), before, rtol=1e-5, atol=1e-6)
        return
    match = r"Sparse data was passed for X, but dense data is required|takes dense "
    match += r"images; got a sparse matrix. Convert it with X.toarray\(\)"
    rejects(name, lambda e, X, y: e.fit(matrix, y), TypeError, match)
    if not case.reads_X:
        return
    if case.kind == "sequences":
        match = rf"{name} was fitted on samples of shape \(6, 2\)"
        rejects(name, lambda e, X, y: output(e, matrix), ValueError, match)
    else:
        rejects(name, lambda e, X, y: output(e, matrix), TypeError, match)


# -- text and images -------------------------------------------------------------------


@pytest.mark.parametrize(("name", "case"), TEXT, ids=case_ids(TEXT))
@pytest.mark.parametrize(
    ("documents", "error", "match"),
    [
        ([1, 2, 3] * 10, TypeError, r"document 0 is a int: 1"),
        ([None] * 30, TypeError, r"document 0 is a NoneType: None"),
        ([np.nan, "good"] * 15, TypeError, r"document 0 is a float: nan"),
        (np.ones((30, 4)), TypeError, r"expects one document per row, but got a 2-D "),
        (sp.csr_matrix(np.ones((30, 4))), TypeError, r"2-D csr_matrix of shape"),
        ("one long string", TypeError, r"got a single str; wrap it in a list"),
        (
            [b"good film", b"caf\xe9 \xff"] * 15,
            ValueError,
            r"reads bytes documents as UTF-8, but document 1 is not UTF-8 \(invalid "
            r"continuation byte at byte 3: b'caf\\xe9 \\xff'\)\. Decode the "
            r"documents with their encoding first",
        ),
    ],
    ids=["ints", "none", "nan", "2-D floats", "sparse", "one string", "not UTF-8"],
)
def test_text_input_that_is_not_text(name, case, documents, error, match):
    rejects(name, lambda e, X, y: e.fit(documents, y), error, match)
    rejects(name, lambda e, X, y: output(e, documents), error, match)


@pytest.mark.parametrize(("name", "case"), IMAGES, ids=case_ids(IMAGES))
def test_images_with_the_wrong_channel_count(name, case):
    """Transformers that need some channel counts say which; all refuse, at
    transform, a channel count other than the one fitted."""
    estimator, X, _y, _before = fitted(name)
    # the feature transformers accept some channel counts; a CNN learns any
    channels = estimator._channels() if hasattr(estimator, "_channels") else None
    two = np.repeat(np.asarray(X).reshape(*X.shape[:3], -1)[..., :1], 2, axis=-1)
    if channels is not None:
        rejects(
            name,
            lambda e, X_, y_: e.fit(two),
            ValueError,
            rf"{name} needs images with [\d or]+ channels?; got 2 channels",
        )
    rejects(
        name,
        lambda e, X_, y_: output(e, two),
        ValueError,
        rf"{name} (needs images with [\d or]+ channels?; got 2 channels|was fitted "
        r"on images of shape .*got images of shape \(\d+, \d+, 2\)|expected "
        r"images of shape \(\d+, \d+, 1\), got \(\d+, \d+, 2\))",
    )


@pytest.mark.parametrize(("name", "case"), IMAGES, ids=case_ids(IMAGES))
def test_five_channel_images_work_or_are_refused_clearly(name, case):
    """More channels than OpenCV takes (4) give features, or an error that says
    what to change; never OpenCV's assertion."""
    X, y = case.data()
    gray = np.asarray(X).reshape(*np.shape(X)[:3], -1)[..., :1]
    five = np.concatenate([gray] * 5, axis=-1)
    try:
        estimator = case.make().fit(five, y)
        out = output(estimator, five)
    except ValueError as error:
        assert re.search(
            rf"{name} (needs|with interpolation=.*takes) images", str(error)
        )
        assert "5 channels" in str(error)
    else:
        assert np.isfinite(np.asarray(out, dtype=float)).all()
