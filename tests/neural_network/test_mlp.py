"""MLPClassifier and MLPRegressor: parity with scikit-learn and the sklearn contract."""

import itertools
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from scipy.special import xlogy
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.model_selection import GridSearchCV, cross_validate, train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdl import MLPClassifier, MLPRegressor, RBMTransformer
from skdl.callbacks._convergence import LBFGS_FTOL

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# iris has 150 rows: one batch per epoch, so a larger step than sklearn's default
FAST = {"learning_rate_init": 0.01}


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# -- parity with scikit-learn --------------------------------------------------------
@pytest.mark.slow
def test_classifier_matches_sklearn_accuracy_on_digits(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    ours, theirs = [], []
    for seed in range(3):
        ours.append(
            MLPClassifier(random_state=seed).fit(X_train, y_train).score(X_test, y_test)
        )
        theirs.append(
            SklearnMLPClassifier(random_state=seed)
            .fit(X_train, y_train)
            .score(X_test, y_test)
        )
    assert np.mean(ours) >= 0.96
    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.01


@pytest.mark.slow
def test_regressor_matches_sklearn_r2_on_diabetes():
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

    def r2(regressor):
        model = TransformedTargetRegressor(
            make_pipeline(StandardScaler(), regressor), transformer=StandardScaler()
        )
        return model.fit(X_train, y_train).score(X_test, y_test)

    params = {"hidden_layer_sizes": (20,), "alpha": 1.0}
    ours = np.mean([r2(MLPRegressor(random_state=s, **params)) for s in range(3)])
    theirs = np.mean(
        [r2(SklearnMLPRegressor(random_state=s, **params)) for s in range(3)]
    )
    assert ours > 0.25
    assert abs(ours - theirs) <= 0.03


def test_same_parameters_and_defaults_as_sklearn():
    for ours, theirs in [
        (MLPClassifier(), SklearnMLPClassifier()),
        (MLPRegressor(), SklearnMLPRegressor()),
    ]:
        their_params = theirs.get_params()
        our_params = ours.get_params()
        for name, value in their_params.items():
            assert our_params[name] == value, name


def test_fitted_attributes_follow_sklearn_shapes(iris):
    X, y = iris
    ours = MLPClassifier((7, 5), max_iter=20, random_state=0).fit(X, y)
    theirs = SklearnMLPClassifier((7, 5), max_iter=20, random_state=0).fit(X, y)
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
    assert [b.shape for b in ours.intercepts_] == [b.shape for b in theirs.intercepts_]
    for name in ("n_layers_", "n_outputs_", "out_activation_", "n_iter_", "t_"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert len(ours.loss_curve_) == ours.n_iter_ == 20
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)


def test_coefs_are_the_trained_weights(iris):
    X, y = iris
    model = MLPClassifier((6,), activation="tanh", max_iter=30, random_state=0)
    model.fit(X, y)
    hidden = np.tanh(X @ model.coefs_[0] + model.intercepts_[0])
    logits = hidden @ model.coefs_[1] + model.intercepts_[1]
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-4, atol=1e-6)


def test_assigning_coefs_and_intercepts_sets_the_weights(iris):
    X, y = iris
    model = MLPClassifier((6,), activation="tanh", max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    rng = np.random.RandomState(0)
    coefs = [rng.normal(size=(4, 6)), rng.normal(size=(6, 3))]
    model.coefs_ = coefs
    model.intercepts_[1] = np.array([0.5, -0.5, 0.0])  # item assignment, as in sklearn
    np.testing.assert_allclose(model.coefs_[0], coefs[0], rtol=1e-6)
    np.testing.assert_allclose(model.intercepts_[1], [0.5, -0.5, 0.0])
    hidden = np.tanh(X @ coefs[0] + model.intercepts_[0])
    logits = hidden @ coefs[1] + [0.5, -0.5, 0.0]
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-4, atol=1e-6)
    before = model.predict_proba(X)
    with pytest.raises(
        ValueError,
        match=r"coefs_\[1\] must have shape \(6, 3\).*"
        r"got \(3, 6\)",
    ):
        model.coefs_ = [coefs[0], coefs[1].T]
    with pytest.raises(ValueError, match="one array per layer: 2 arrays, got 1"):
        model.intercepts_ = [np.zeros(6)]
    with pytest.raises(ValueError, match="read-only"):  # an edit that would be lost
        model.coefs_[0][0, 0] = 1.0
    np.testing.assert_array_equal(model.predict_proba(X), before)
    with pytest.raises(AttributeError, match=r"not fitted yet.*Fit it first"):
        MLPClassifier().coefs_  # noqa: B018


def test_weights_assigned_before_the_first_fit_are_where_it_starts(iris, tmp_path):
    """As in scikit-learn, coefs_ and intercepts_ can be set before fitting."""
    from skdl.io import load, save

    X, y = iris
    rng = np.random.RandomState(0)
    coefs = [rng.normal(size=(4, 6)), rng.normal(size=(6, 3))]
    intercepts = [np.zeros(6), np.array([0.5, -0.5, 0.0])]

    def assigned(**params):
        # a tiny SGD step: the weights after one epoch are the starting weights
        model = MLPClassifier(
            (6,), solver="sgd", learning_rate_init=1e-12, max_iter=1, **params
        )
        model.coefs_ = [None, coefs[1]]
        model.coefs_[0] = coefs[0]  # the list itself, as scikit-learn keeps it
        model.intercepts_ = intercepts
        return model

    def starts_from_them(model):
        weights = model.coefs_ + model.intercepts_
        for ours, theirs in zip(weights, coefs + intercepts, strict=True):
            np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)

    warnings.simplefilter("ignore", ConvergenceWarning)
    starts_from_them(assigned().partial_fit(X, y, classes=[0, 1, 2]))
    model = assigned(random_state=0).fit(X, y)
    starts_from_them(model)
    # used once: a later fit starts afresh
    model.fit(X, y)
    assert np.abs(model.coefs_[0] - coefs[0]).max() > 0.1
    # an unfitted model keeps them through skdl.io
    save(assigned(), tmp_path / "m")
    starts_from_them(load(tmp_path / "m").fit(X, y))
    # errors, which leave the assigned weights in place
    wrong = assigned()
    wrong.coefs_[1] = coefs[1].T
    with pytest.raises(ValueError, match=r"coefs_\[1\] must have shape \(6, 3\)"):
        wrong.fit(X, y)
    assert not hasattr(wrong, "net_") and wrong.coefs_[1].shape == (3, 6)
    half = MLPClassifier((6,))
    half.coefs_ = coefs
    with pytest.raises(ValueError, match="intercepts_ was not: assign both"):
        half.fit(X, y)
    both = assigned(pretrain=RBMTransformer(6), activation="logistic")
    with pytest.raises(ValueError, match="pretrain is set"):
        both.fit(X, y)


@pytest.mark.parametrize("target", ["multilabel", "multioutput"])
def test_one_sgd_step_is_scikit_learns(iris, target):
    """From the same weights, one SGD step lands where scikit-learn's does."""
    X, y = iris
    if target == "multilabel":
        Y, Ours, Theirs = (
            np.c_[y == 0, y == 2].astype(int),
            MLPClassifier,
            SklearnMLPClassifier,
        )
    else:
        Y, Ours, Theirs = np.c_[X[:, :2], y], MLPRegressor, SklearnMLPRegressor
    params = {
        "hidden_layer_sizes": (5,),
        "solver": "sgd",
        "momentum": 0.0,
        "learning_rate_init": 0.1,
        "alpha": 0.01,
        "batch_size": len(X),
        "shuffle": False,
        "random_state": 0,
    }
    first = {"classes": [0, 1]} if target == "multilabel" else {}
    theirs = Theirs(**params).partial_fit(X, Y, **first)
    ours = Ours(**params).partial_fit(X, Y, **first)
    ours.coefs_, ours.intercepts_ = theirs.coefs_, theirs.intercepts_
    theirs.partial_fit(X, Y)
    ours.partial_fit(X, Y)
    for mine, sklearns in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_, strict=True
    ):
        np.testing.assert_allclose(mine, sklearns, rtol=1e-5, atol=1e-6)


# -- targets -------------------------------------------------------------------------
def test_string_labels_binary_and_multiclass(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = MLPClassifier((16,), max_iter=100, random_state=0, **FAST).fit(X, names)
    assert set(model.predict(X)) <= set(names)
    assert model.score(X, names) > 0.9
    binary = np.where(y == 0, "yes", "no")
    model = MLPClassifier((16,), max_iter=50, random_state=0, **FAST).fit(X, binary)
    assert model.out_activation_ == "logistic" and model.n_outputs_ == 1
    assert model.predict_proba(X).shape == (len(X), 2)
    assert model.score(X, binary) == 1.0


def test_arbitrary_integer_labels(iris):
    X, y = iris
    labels = np.array([-7, 40, 1000])[y]
    model = MLPClassifier((16,), max_iter=100, random_state=0, **FAST).fit(X, labels)
    np.testing.assert_array_equal(model.classes_, [-7, 40, 1000])
    assert model.score(X, labels) > 0.9


def test_multilabel_targets(iris):
    X, y = iris
    Y = np.c_[y == 0, y == 2, X[:, 0] > 0].astype(int)
    model = MLPClassifier((32,), max_iter=200, random_state=0, **FAST).fit(X, Y)
    assert model.out_activation_ == "logistic" and model.n_outputs_ == 3
    predicted = model.predict(X)
    assert predicted.shape == Y.shape and set(np.unique(predicted)) <= {0, 1}
    assert model.predict_proba(X).shape == (len(X), 3)
    assert (predicted == Y).mean() > 0.9


def test_multioutput_regression():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, (300, 3))
    Y = np.c_[X[:, 0] + X[:, 1], X[:, 2] ** 2]
    model = MLPRegressor(
        hidden_layer_sizes=(32,), solver="lbfgs", max_iter=300, random_state=0
    )
    model.fit(X, Y)
    assert model.predict(X).shape == (300, 2)
    assert model.score(X, Y) > 0.9


def test_column_vector_y_of_a_regressor_warns_as_in_scikit_learn():
    """A y of shape (n, 1) is one output, predicted 1-D, with scikit-learn's
    DataConversionWarning (the classifier's y already had it)."""
    X = np.random.RandomState(0).rand(20, 3)
    y = X.sum(axis=1, keepdims=True)
    for make in (SklearnMLPRegressor, MLPRegressor):
        model = make(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
        with pytest.warns(DataConversionWarning, match="A column-vector y was"):
            model.fit(X, y)
        assert model.n_outputs_ == 1
        assert model.predict(X).shape == (20,)
    with pytest.warns(DataConversionWarning, match="A column-vector y was"):
        model.partial_fit(X, y)


def test_poisson_loss_predicts_positive_rates():
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 1, (400, 2))
    y = rng.poisson(np.exp(1 + X[:, 0])).astype(float)
    model = MLPRegressor(
        loss="poisson",
        hidden_layer_sizes=(8,),
        solver="lbfgs",
        max_iter=200,
        random_state=0,
    ).fit(X, y)
    assert model.out_activation_ == "exp"
    predicted = model.predict(X)
    assert (predicted > 0).all()
    assert np.corrcoef(predicted, np.exp(1 + X[:, 0]))[0, 1] > 0.9
    with pytest.raises(ValueError, match="non-negative"):
        MLPRegressor(loss="poisson").fit(X, -y)


@pytest.mark.parametrize("target", ["multilabel", "multioutput", "poisson"])
def test_loss_is_the_one_scikit_learn_reports(iris, target):
    """Summed over the labels of a multilabel target and over Poisson outputs,
    averaged over the outputs of the squared error; averaged over the samples."""
    X, y = iris
    # one step too small to move the weights: loss_ is the fitted model's loss
    tiny = {"solver": "sgd", "learning_rate_init": 1e-12, "alpha": 0.0}
    if target == "multilabel":
        Y = np.c_[y == 0, y == 2, X[:, 0] > 5].astype(int)
        model = MLPClassifier(random_state=0, **tiny).partial_fit(X, Y)
        p = model.predict_proba(X)
        expected = -np.mean(np.sum(Y * np.log(p) + (1 - Y) * np.log(1 - p), axis=1))
    elif target == "multioutput":
        Y = np.c_[X[:, :2], y]
        model = MLPRegressor(random_state=0, **tiny).partial_fit(X, Y)
        expected = 0.5 * np.mean((Y - model.predict(X)) ** 2)
    else:
        model = MLPRegressor(loss="poisson", random_state=0, **tiny).partial_fit(X, y)
        p = model.predict(X)
        expected = np.mean(xlogy(y, y / p) - y + p)
    assert model.loss_ == pytest.approx(expected, rel=1e-5)


# -- inputs --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_training_and_outputs_follow_the_input_dtype(iris, dtype):
    """As in scikit-learn: float32 X trains and predicts in float32, any other X
    in float64 (precision='auto', the default on the CPU)."""
    X, y = iris
    X = (X * 10).astype(dtype)
    expected = np.float32 if dtype == np.float32 else np.float64
    classifier = MLPClassifier((4,), max_iter=2, random_state=0)
    regressor = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    fixed = MLPRegressor(
        hidden_layer_sizes=(4,), max_iter=2, random_state=0, precision="float32"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(X, y)
        regressor.fit(X, y)
        fixed.fit(X, y)
    for model in (classifier, regressor):
        assert {a.dtype for a in model.coefs_ + model.intercepts_} == {
            np.dtype(expected)
        }
    assert classifier.predict_proba(X).dtype == expected
    assert classifier.predict_log_proba(X).dtype == expected
    assert regressor.predict(X).dtype == expected
    assert regressor.predict(pd.DataFrame(X)).dtype == expected
    # precision='float32' computes in float32 whatever X; its outputs follow X
    assert {a.dtype for a in fixed.coefs_ + fixed.intercepts_} == {np.dtype("float32")}
    assert fixed.predict(X).dtype == expected
    np.testing.assert_array_equal(
        fixed.predict(X.astype(np.float32)), fixed.predict(X).astype(np.float32)
    )


def test_output_dtypes_are_scikit_learns_for_every_fit_and_predict_dtype(iris):
    """float32 only when the model was fitted on float32 X and X is float32."""
    X, y = iris
    pairs = [
        (SklearnMLPClassifier, MLPClassifier, "predict_proba"),
        (SklearnMLPRegressor, MLPRegressor, "predict"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for theirs, ours, method in pairs:
            for fit_dtype in (np.float32, np.float64):
                models = [
                    make(hidden_layer_sizes=(4,), max_iter=2).fit(
                        X.astype(fit_dtype), y
                    )
                    for make in (theirs, ours)
                ]
                for dtype in (np.float32, np.float64):
                    reference, got = (
                        getattr(m, method)(X.astype(dtype)).dtype for m in models
                    )
                    assert got == reference, (ours.__name__, fit_dtype, dtype)


def test_small_binary_probabilities_keep_their_digits_in_float32():
    """The first class's probability is sigmoid(-z), not 1 - sigmoid(z), which
    in float32 rounds anything below 6e-8 to 0 and the rest to steps of 6e-8."""
    X, y = load_digits(n_class=2, return_X_y=True)
    X = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier((8,), max_iter=50, random_state=0).fit(X, y)
    proba = model.predict_proba(X)
    with torch.no_grad():
        logits = model.net_.module_(torch.from_numpy(X)).double().numpy()[:, 0]
    exact = 1 / (1 + np.exp(np.stack([logits, -logits], axis=1)))
    assert proba.dtype == np.float32
    assert (exact < 1e-5).any()  # where 1 - p keeps 2 or 3 digits
    np.testing.assert_allclose(proba, exact, rtol=1e-6, atol=0)


def test_pandas_dataframe_keeps_feature_names(iris):
    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = MLPClassifier((8,), max_iter=20, random_state=0).fit(frame, y)
    np.testing.assert_array_equal(model.feature_names_in_, ["a", "b", "c", "d"])
    np.testing.assert_array_equal(model.predict(frame), model.predict(X))
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(frame.rename(columns={"a": "z"}))


def test_read_only_input_is_read_without_a_warning(iris, tmp_path):
    """As in scikit-learn: a frozen array or a memory map opened with mode='r'
    trains and predicts without torch's warning about non-writable memory."""
    X, y = iris
    frozen = X.copy()
    frozen.flags.writeable = False
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    weight = np.ones(len(X))
    weight.flags.writeable = False
    always = torch.is_warn_always_enabled()
    torch.set_warn_always(True)  # torch warns once per process otherwise
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warnings.simplefilter("ignore", ConvergenceWarning)
            for rows, make in itertools.product(
                (frozen, mapped), (MLPClassifier, MLPRegressor)
            ):
                model = make(hidden_layer_sizes=(4,), max_iter=1, shuffle=False)
                model.fit(rows, y, sample_weight=weight).predict(rows)
    finally:
        torch.set_warn_always(always)


def test_sparse_input_is_densified_per_batch_and_matches_dense(iris):
    X, y = iris
    dense = MLPClassifier((8,), max_iter=10, random_state=0).fit(X, y)
    sparse = MLPClassifier((8,), max_iter=10, random_state=0).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(
        dense.predict_proba(X), sparse.predict_proba(sp.csc_matrix(X)), rtol=1e-5
    )


def test_sample_weight_equals_repeated_rows_with_full_batch(iris):
    X, y = iris
    weights = np.random.RandomState(0).randint(0, 3, len(X))
    repeated = np.repeat(np.arange(len(X)), weights)
    # 20 L-BFGS iterations: long after the first step, short of the point where
    # float32 rounding makes the two (identical in exact arithmetic) paths diverge
    params = {
        "hidden_layer_sizes": (5,),
        "solver": "lbfgs",
        "max_iter": 20,
        "random_state": 0,
        "alpha": 0.1,
    }
    weighted = MLPClassifier(**params).fit(X, y, sample_weight=weights)
    copied = MLPClassifier(**params).fit(X[repeated], y[repeated])
    np.testing.assert_allclose(
        weighted.predict_proba(X), copied.predict_proba(X), atol=1e-4
    )
    unweighted = MLPClassifier(**params).fit(X, y)
    assert np.abs(unweighted.predict_proba(X) - copied.predict_proba(X)).max() > 1e-2


def test_class_weight_balanced_raises_minority_recall():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    keep = (y != 1) | (np.arange(len(y)) % 12 == 0)  # digit 1 becomes rare
    X, y = X[keep], (y[keep] == 1).astype(int)
    params = {"hidden_layer_sizes": (4,), "max_iter": 15, "random_state": 0}
    plain = MLPClassifier(**params).fit(X, y)
    balanced = MLPClassifier(class_weight="balanced", **params).fit(X, y)
    recall = lambda model: model.predict(X)[y == 1].mean()  # noqa: E731
    assert recall(balanced) > recall(plain)


# -- sklearn tools -------------------------------------------------------------------
def test_pipeline_grid_search_and_cross_validate(iris):
    X, y = iris
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier(max_iter=30, random_state=0, **FAST)
    )
    search = GridSearchCV(
        pipe, {"mlpclassifier__hidden_layer_sizes": [(4,), (16,)]}, cv=3, n_jobs=2
    ).fit(X, y)
    assert search.best_params_["mlpclassifier__hidden_layer_sizes"] in [(4,), (16,)]
    scores = cross_validate(pipe, X, y, cv=3)["test_score"]
    assert scores.mean() > 0.8


def test_grid_search_in_two_processes_is_reproducible(iris):
    X, y = iris
    grid = {"alpha": [1e-4, 1e-1]}
    estimator = MLPClassifier((8,), max_iter=15, random_state=0)
    serial = GridSearchCV(estimator, grid, cv=3).fit(X, y)
    parallel = GridSearchCV(estimator, grid, cv=3, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(
        serial.cv_results_["mean_test_score"], parallel.cv_results_["mean_test_score"]
    )


def test_pickle_and_joblib_round_trips(iris, tmp_path):
    X, y = iris
    model = MLPClassifier((8,), max_iter=20, random_state=0).fit(X, y)
    expected = model.predict_proba(X)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    joblib.dump(model, tmp_path / "model.joblib")
    np.testing.assert_array_equal(
        joblib.load(tmp_path / "model.joblib").predict_proba(X), expected
    )
    # a restored model keeps training
    restored.set_params(warm_start=True, max_iter=2).fit(X, y)
    assert restored.n_iter_ == 2 and len(restored.history_) == 22


def test_clone_gives_an_unfitted_copy(iris):
    X, y = iris
    model = MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    copy = clone(model)
    assert not hasattr(copy, "net_")
    assert copy.get_params() == model.get_params()


# -- seeds ---------------------------------------------------------------------------
def test_same_seed_same_model_different_seed_different_weights(iris):
    X, y = iris
    first = MLPClassifier((8,), max_iter=10, random_state=3).fit(X, y)
    second = MLPClassifier((8,), max_iter=10, random_state=3).fit(X, y)
    third = MLPClassifier((8,), max_iter=10, random_state=4).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    for a, b in zip(first.coefs_, second.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.coefs_[0], third.coefs_[0])


def test_dropout_and_batch_norm_train_and_are_reproducible(iris):
    X, y = iris
    params = {
        "hidden_layer_sizes": (16, 16),
        "dropout": 0.2,
        "batch_norm": True,
        "max_iter": 60,
        "random_state": 0,
        "activation": "gelu",
        **FAST,
    }
    first = MLPClassifier(**params).fit(X, y)
    second = MLPClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert first.score(X, y) > 0.9
    # predictions use the running statistics and no dropout: deterministic
    np.testing.assert_array_equal(first.predict_proba(X), first.predict_proba(X))


@pytest.mark.parametrize(
    "activation",
    [
        "identity",
        "logistic",
        "tanh",
        "relu",
        "elu",
        "leaky_relu",
        "prelu",
        "selu",
        "gelu",
        "silu",
        "mish",
    ],
)
def test_every_activation_learns(iris, activation):
    X, y = iris
    model = MLPClassifier(
        (16,), activation=activation, max_iter=150, random_state=0, **FAST
    )
    assert model.fit(X, y).score(X, y) > 0.85


@pytest.mark.parametrize(
    "solver, params",
    [
        ("sgd", {"learning_rate_init": 0.1}),
        ("adam", {"learning_rate_init": 0.01}),
        ("adamw", {"learning_rate_init": 0.01}),
        ("rmsprop", {"learning_rate_init": 0.01}),
        ("adagrad", {"learning_rate_init": 0.1}),
        ("lbfgs", {}),
    ],
)
def test_every_solver_learns(iris, solver, params):
    X, y = iris
    model = MLPClassifier((16,), solver=solver, max_iter=100, random_state=0, **params)
    assert model.fit(X, y).score(X, y) > 0.9


# -- partial_fit and warm_start ------------------------------------------------------
def test_partial_fit_trains_one_epoch_per_call(iris):
    X, y = iris
    model = MLPClassifier((16,), random_state=0, batch_size=32, **FAST)
    for _ in range(30):
        model.partial_fit(X, y, classes=[0, 1, 2])
    # as in scikit-learn, n_iter_ counts the epochs of the last call
    assert model.n_iter_ == 1 and len(model.loss_curve_) == 30
    assert model.t_ == 30 * len(X)
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    assert model.score(X, y) > 0.9


def test_full_batch_fit_and_partial_fit_agree_bit_for_bit(iris):
    """One batch of every row is not reordered, so summation orders agree."""
    X, y = iris
    params = {"solver": "sgd", "batch_size": len(X), "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = MLPRegressor(max_iter=5, n_iter_no_change=np.inf, **params).fit(X, y)
    streamed = MLPRegressor(**params)
    for _ in range(5):
        streamed.partial_fit(X, y)
    np.testing.assert_array_equal(streamed.predict(X), fitted.predict(X))


def test_partial_fit_needs_classes_and_rejects_unseen_labels(iris):
    X, y = iris
    with pytest.raises(ValueError, match="classes must be passed"):
        MLPClassifier().partial_fit(X, y)
    model = MLPClassifier((4,), random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"not seen before: \[7\]"):
        model.partial_fit(X[:3], [0, 1, 7])
    regressor = MLPRegressor(hidden_layer_sizes=(4,), random_state=0)
    regressor.partial_fit(X, y)
    assert regressor.n_iter_ == 1


def test_partial_fit_applies_the_adaptive_schedule(iris, capsys):
    """As in scikit-learn, partial_fit calls count epochs without improvement:
    with 'adaptive', the rate is divided by 5 after n_iter_no_change + 1 of them
    (the first epoch improves on nothing)."""
    X, y = iris
    model = MLPClassifier(
        (4,),
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.01,
        tol=100.0,  # no epoch improves by that much
        n_iter_no_change=2,
        verbose=True,
        random_state=0,
    )
    rates = []
    for _ in range(4):
        model.partial_fit(X, y, classes=[0, 1, 2])
        rates.append(model.net_.optimizer_.param_groups[0]["lr"])
    assert rates == pytest.approx([0.01, 0.01, 0.01, 0.002])
    assert capsys.readouterr().out.count("Iteration 1, loss = ") == 4


def test_partial_fit_refuses_early_stopping(iris):
    X, y = iris
    message = "partial_fit does not support early_stopping=True"
    fresh = MLPRegressor(early_stopping=True)
    with pytest.raises(ValueError, match=message):
        fresh.partial_fit(X, y)
    assert not hasattr(fresh, "net_")
    model = MLPClassifier((4,), early_stopping=True, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    before = model.predict_proba(X)
    with pytest.raises(ValueError, match=message):
        model.partial_fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X), before)
    assert len(model.history_) == 5


def test_partial_fit_is_not_available_for_lbfgs():
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert hasattr(MLPClassifier(solver="adam"), "partial_fit")


def test_warm_start_continues_from_the_trained_weights(iris):
    X, y = iris
    model = MLPClassifier((8,), max_iter=5, warm_start=True, random_state=0)
    model.fit(X, y)
    loss_after_first = model.loss_curve_[-1]
    model.fit(X, y)
    assert model.n_iter_ == 5 and len(model.loss_curve_) == 10
    assert model.loss_curve_[5] < loss_after_first + 0.05
    cold = MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    cold.fit(X, y)
    assert cold.n_iter_ == 5


def test_warm_start_needs_the_same_classes(iris):
    X, y = iris
    model = MLPClassifier((8,), max_iter=5, warm_start=True, random_state=0)
    model.fit(X, y)
    before = model.predict_proba(X)
    message = r"same classes as in the previous call to fit. Previously got \[0 1 2\]"
    with pytest.raises(ValueError, match=message + r", `y` has \[0 1 5\]"):
        model.fit(X, np.where(y == 2, 5, y))
    with pytest.raises(ValueError, match=message + r", `y` has \[0 1\]"):
        model.fit(X[y < 2], y[y < 2])
    np.testing.assert_array_equal(model.predict_proba(X), before)
    # partial_fit may see a subset of the classes
    model.partial_fit(X[y < 2], y[y < 2])


# -- bad input -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted(iris):
    X, y = iris
    return MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)


@pytest.mark.parametrize(
    "X, message",
    [
        (np.full((4, 4), np.nan), "Input X contains NaN"),
        (np.full((4, 4), np.inf), "Input X contains infinity"),
        (np.zeros((4, 3)), "X has 3 features, but MLPClassifier is expecting 4"),
        (np.zeros((4, 4, 2)), "Found array with dim 3"),
        (np.zeros((0, 4)), "0 sample"),
    ],
)
def test_bad_input_at_predict_is_a_clear_value_error(fitted, iris, X, message):
    X_ok = iris[0]
    before = fitted.predict_proba(X_ok)
    with pytest.raises(ValueError, match=message):
        fitted.predict(X)
    np.testing.assert_array_equal(fitted.predict_proba(X_ok), before)


def test_values_beyond_float32_need_a_model_in_float64(iris):
    X, y = iris
    huge = np.full((4, 4), 1e40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        in_float64 = MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
        in_float32 = MLPClassifier((8,), max_iter=5, precision="float32").fit(X, y)
    proba = in_float64.predict_proba(huge)  # as scikit-learn's: saturated
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    message = r"values up to 1e\+40 .*float32's range.*Scale X"
    with pytest.raises(ValueError, match=message):
        in_float32.predict(huge)


@pytest.mark.parametrize(
    "X, y, message",
    [
        (np.full((6, 2), np.nan), [0, 1] * 3, "Input X contains NaN"),
        (np.zeros((6, 2, 2)), [0, 1] * 3, "Found array with dim 3"),
        (np.zeros((0, 2)), [], "0 sample"),
        (np.zeros((6, 2)), [0, 1] * 2, "inconsistent numbers of samples"),
        (np.zeros((6, 2)), [0.5, 1.5] * 3, "Unknown label type"),
    ],
)
def test_bad_training_data_is_a_clear_value_error(X, y, message):
    with pytest.raises(ValueError, match=message):
        MLPClassifier(max_iter=2).fit(X, y)


def test_failed_refit_keeps_the_previous_model(fitted, iris):
    X, y = iris
    model = clone(fitted).fit(X, y)
    before = model.predict_proba(X)
    with pytest.raises(ValueError):
        model.fit(X[:, :3], np.full(len(X), 0.5))
    assert model.n_features_in_ == 4
    np.testing.assert_array_equal(model.predict_proba(X), before)


def test_convergence_warning_when_max_iter_is_reached(iris):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="max_iter=3"):
            MLPClassifier((4,), max_iter=3, random_state=0).fit(X, y)


def test_diverging_loss_with_early_stopping_keeps_the_best_weights(iris):
    """scikit-learn's test_mlp_diverging_loss: with early stopping, a fit whose
    validation score becomes NaN ends with the best weights and records NaN."""
    X, y = iris
    mlp = MLPRegressor(
        hidden_layer_sizes=100,
        activation="identity",
        solver="sgd",
        alpha=0.0001,
        learning_rate="constant",
        learning_rate_init=1,
        shuffle=True,
        max_iter=20,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="training diverged in epoch"):
        mlp.fit(X, y)
    assert str(mlp.validation_scores_[-1]) == str(np.nan)
    assert isinstance(mlp.validation_scores_[-1], float)
    assert np.isfinite(mlp.best_validation_score_)
    assert np.isfinite(mlp.predict(X)).all()


def test_lbfgs_stops_when_the_loss_stops_falling_as_scipy_does():
    """scipy's second criterion (its default ftol): on unscaled iris in float64
    the loss reaches a plateau where the gradient stays above tol; L-BFGS went
    on until max_fun and warned."""
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = MLPClassifier((16,), solver="lbfgs", max_iter=2000, random_state=0)
        model.fit(X, y)
    curve = model.loss_curve_
    assert len(curve) == model.n_iter_ < 200

    def stalled(before, now):
        return before - now <= LBFGS_FTOL * max(abs(before), abs(now), 1.0)

    assert stalled(*curve[-2:])
    assert not any(stalled(*pair) for pair in itertools.pairwise(curve[:-1]))
    # a warm start with a larger penalty starts from a higher loss: only this
    # fit's epochs are compared, or it would stop after its first
    n_before = len(curve)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(alpha=1.0, warm_start=True, max_iter=20).fit(X, y)
    assert model.n_iter_ == 20
    assert model.loss_curve_[n_before] > curve[-1]
    assert model.loss_curve_[-1] < model.loss_curve_[n_before]


def test_convergence_warning_when_lbfgs_spends_max_fun(iris):
    X, y = iris
    model = MLPClassifier((4,), solver="lbfgs", max_fun=10, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_fun=10 loss evaluations"):
        model.fit(X, y)
    assert model.n_iter_ < model.max_iter
    # a converged L-BFGS fit does not warn
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        MLPClassifier((4,), solver="lbfgs", tol=1e-2, random_state=0).fit(X, y)


@pytest.mark.parametrize(
    "make, make_sklearn",
    [(MLPClassifier, SklearnMLPClassifier), (MLPRegressor, SklearnMLPRegressor)],
)
def test_lbfgs_ignores_early_stopping_as_scikit_learn_does(make, make_sklearn):
    """scikit-learn's early_stopping is 'only effective when solver='sgd' or
    'adam'': 'lbfgs' trains on every sample and sets no validation scores."""
    rng = np.random.RandomState(0)
    X, y = rng.rand(6, 3), np.array([0, 1, 0, 1, 0, 1])
    params = {"hidden_layer_sizes": (4,), "solver": "lbfgs", "max_iter": 5}
    # 6 samples leave one for validation: an early-stopping split would refuse
    theirs = make_sklearn(early_stopping=True, **params).fit(X, y)
    stopping = make(early_stopping=True, random_state=0, **params).fit(X, y)
    plain = make(random_state=0, **params).fit(X, y)
    assert getattr(theirs, "validation_scores_", None) is None
    assert stopping.validation_scores_ is None
    assert stopping.best_validation_score_ is None
    assert stopping.best_loss_ == plain.best_loss_
    assert stopping.t_ == plain.t_ == 6 * plain.n_iter_
    for ours, reference in zip(stopping.coefs_, plain.coefs_, strict=True):
        np.testing.assert_array_equal(ours, reference)
