"""The ``loss`` parameter: each loss against its formula, and trained on real data."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.metrics import (
    hinge_loss,
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_poisson_deviance,
    mean_squared_error,
    mean_squared_log_error,
    r2_score,
)
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

from skdl import (
    LSTMRegressor,
    MLPClassifier,
    MLPRegressor,
)
from skdl.base import CLASSIFIER_LOSSES, LOSS_ALIASES, REGRESSOR_LOSSES
from skdl.io import load, save
from skdl.modules import UserLoss
from tests.estimator_cases import CASES

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.RandomState(0)
PRED = RNG.uniform(0.1, 3.0, size=(12, 2))
TRUE = RNG.uniform(0.1, 3.0, size=(12, 2))


def _criterion_mean(estimator, outputs, target):
    """The estimator's training loss on fixed tensors: summed, over the rows."""
    criterion = estimator._make_criterion()
    criterion.reduction = "sum"
    total = criterion(torch.as_tensor(outputs), torch.as_tensor(target))
    return float(total) / len(outputs)


def _huber(residual, delta=1.0):
    r = np.abs(residual)
    return np.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta))


# the reference of each regression loss, summed over the 2 outputs of a row
REGRESSION_REFERENCES = {
    "squared_error": lambda p, y: 2 * 0.5 * mean_squared_error(y, p),
    "absolute_error": lambda p, y: 2 * mean_absolute_error(y, p),
    "huber": lambda p, y: _huber(p - y).sum(axis=1).mean(),
    # the module outputs log(prediction)
    "poisson": lambda p, y: (
        2 * 0.5 * mean_poisson_deviance(y.ravel(), np.exp(p).ravel())
    ),
    "mean_absolute_percentage_error": lambda p, y: (
        2 * mean_absolute_percentage_error(y, p)
    ),
    "squared_log_error": lambda p, y: 2 * mean_squared_log_error(y, p),
}


def test_every_regression_loss_has_a_reference():
    assert set(REGRESSION_REFERENCES) == set(REGRESSOR_LOSSES)


@pytest.mark.parametrize("alias", sorted(LOSS_ALIASES))
def test_keras_loss_names_train_as_the_losses_they_stand_for(alias):
    name = LOSS_ALIASES[alias]
    X, y = load_iris(return_X_y=True)
    estimator = MLPClassifier if name in CLASSIFIER_LOSSES else MLPRegressor
    target = y if name in CLASSIFIER_LOSSES else X[:, 0]
    params = {"hidden_layer_sizes": (4,), "max_iter": 3, "random_state": 0}
    aliased = estimator(loss=alias, **params).fit(X, target)
    named = estimator(loss=name, **params).fit(X, target)
    np.testing.assert_array_equal(aliased.predict(X), named.predict(X))
    assert aliased.loss_ == named.loss_ and aliased.get_params()["loss"] == alias


@pytest.mark.parametrize("loss", REGRESSOR_LOSSES)
@pytest.mark.parametrize(
    "estimator", [MLPRegressor, LSTMRegressor], ids=["MLP", "LSTM"]
)
def test_regression_losses_match_their_formulas(estimator, loss):
    model = estimator(loss=loss)
    got = _criterion_mean(model, PRED, TRUE)
    assert got == pytest.approx(REGRESSION_REFERENCES[loss](PRED, TRUE), rel=1e-6)
    # a loss of 0 where outputs equal targets (poisson: log of the targets)
    exact = np.log(TRUE) if loss == "poisson" else TRUE
    assert _criterion_mean(model, exact, TRUE) == pytest.approx(0, abs=1e-9)


def test_huber_is_quadratic_near_zero_and_linear_far_away():
    model = MLPRegressor(loss="huber")
    near = _criterion_mean(model, np.array([[0.5]]), np.array([[0.0]]))
    far = _criterion_mean(model, np.array([[10.0]]), np.array([[0.0]]))
    assert (near, far) == (pytest.approx(0.125), pytest.approx(9.5))


def test_squared_log_error_counts_negative_predictions_as_zero():
    model = MLPRegressor(loss="squared_log_error")
    negative = _criterion_mean(model, np.array([[-5.0]]), np.array([[1.0]]))
    assert negative == pytest.approx(np.log(2) ** 2)


SCORES = RNG.normal(size=(10, 3))
LABELS = np.arange(10) % 3


def _fitted_classifier(loss, softmax):
    model = MLPClassifier(loss=loss)
    model.out_activation_ = "softmax" if softmax else "logistic"
    return model


def _focal(p_true, gamma=2.0):
    return np.mean((1 - p_true) ** gamma * -np.log(p_true))


@pytest.mark.parametrize("loss", CLASSIFIER_LOSSES)
def test_multiclass_losses_match_their_formulas(loss):
    model = _fitted_classifier(loss, softmax=True)
    got = _criterion_mean(model, SCORES, LABELS)
    proba = np.exp(SCORES) / np.exp(SCORES).sum(axis=1, keepdims=True)
    p_true = proba[np.arange(10), LABELS]
    true_score = SCORES[np.arange(10), LABELS]
    others = np.where(np.eye(3)[LABELS] == 1, -np.inf, SCORES).max(axis=1)
    margin = np.maximum(0, 1 + others - true_score)
    expected = {
        "log_loss": log_loss(LABELS, proba),
        # scikit-learn's multiclass hinge is Crammer and Singer's
        "hinge": hinge_loss(LABELS, SCORES),
        "squared_hinge": np.mean(margin**2),
        "focal": _focal(p_true),
    }[loss]
    assert got == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("loss", CLASSIFIER_LOSSES)
def test_binary_losses_match_their_formulas(loss):
    model = _fitted_classifier(loss, softmax=False)
    scores, labels = SCORES[:, :1], (LABELS[:, None] > 0).astype(float)
    got = _criterion_mean(model, scores, labels)
    p = 1 / (1 + np.exp(-scores.ravel()))
    y = labels.ravel()
    p_true = np.where(y == 1, p, 1 - p)
    margin = np.maximum(0, 1 - (2 * y - 1) * scores.ravel())
    expected = {
        "log_loss": log_loss(y, p),
        "hinge": hinge_loss(2 * y - 1, scores.ravel()),
        "squared_hinge": np.mean(margin**2),
        "focal": _focal(p_true),
    }[loss]
    assert got == pytest.approx(expected, rel=1e-5)


# -- trained on real data ---------------------------------------------------------
@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    # targets in hundreds: the losses with a unit scale (huber) see unit residuals
    return train_test_split(X, y / 100, random_state=0)


def _linear(loss):
    return MLPRegressor(
        hidden_layer_sizes=(),
        loss=loss,
        learning_rate_init=0.01,
        max_iter=300,
        random_state=0,
    )


@pytest.mark.parametrize(
    "loss",
    [loss for loss in REGRESSOR_LOSSES if loss != "mean_absolute_percentage_error"],
)
def test_regression_losses_train_on_diabetes(diabetes, loss):
    # ordinary least squares scores R2 0.36 on this split
    X_train, X_test, y_train, y_test = diabetes
    model = _linear(loss).fit(X_train, y_train)
    assert r2_score(y_test, model.predict(X_test)) > 0.25


def test_percentage_error_lowers_the_percentage_error_on_diabetes(diabetes):
    # it fits the targets' weighted median, low: a poor R2, the best relative error
    X_train, X_test, y_train, y_test = diabetes
    mape = {
        loss: mean_absolute_percentage_error(
            y_test, _linear(loss).fit(X_train, y_train).predict(X_test)
        )
        for loss in ("squared_error", "mean_absolute_percentage_error")
    }
    assert mape["mean_absolute_percentage_error"] < 0.35
    assert mape["mean_absolute_percentage_error"] < mape["squared_error"] - 0.03


@pytest.mark.parametrize("loss", CLASSIFIER_LOSSES)
@pytest.mark.parametrize(
    "loader, accuracy",
    [(load_breast_cancer, 0.93), (load_digits, 0.94)],
    ids=["breast_cancer", "digits"],
)
def test_classification_losses_train_on_real_data(loader, accuracy, loss):
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, stratify=y, random_state=0
    )
    model = MLPClassifier((32,), loss=loss, max_iter=100, random_state=0)
    assert model.fit(X_train, y_train).score(X_test, y_test) > accuracy


@pytest.mark.parametrize("loss", ["hinge", "focal"])
def test_multilabel_targets_train_with_each_binary_loss(loss):
    X, y = load_digits(return_X_y=True)
    Y = np.column_stack([y % 2, y >= 5]).astype(int)  # odd, large
    X_train, X_test, Y_train, Y_test = train_test_split(X / 16, Y, random_state=0)
    model = MLPClassifier((32,), loss=loss, max_iter=100, random_state=0)
    # both labels right: 0.90 (hinge), 0.94 (focal), 0.95 (log_loss)
    assert model.fit(X_train, Y_train).score(X_test, Y_test) > 0.88


# -- every estimator, callables ---------------------------------------------------
@pytest.mark.parametrize(
    "name, loss",
    [
        ("MLPClassifier", "hinge"),
        ("CNNClassifier", "focal"),
        ("LSTMClassifier", "squared_hinge"),
        ("LSTMTextClassifier", "focal"),
        ("MLPRegressor", "huber"),
        ("LSTMRegressor", "absolute_error"),
    ],
)
def test_every_network_estimator_takes_loss(name, loss):
    case = CASES[name]
    X, y = case.data()
    model = case.make(loss=loss).fit(X, y)
    criterion = type(model.net_.criterion_).__name__
    softmax = getattr(model, "out_activation_", None) == "softmax"
    expected = {
        "hinge": "MulticlassHinge" if softmax else "BinaryHinge",
        "squared_hinge": "MulticlassHinge" if softmax else "BinaryHinge",
        "focal": "FocalLoss",
        "huber": "HuberLoss",
        "absolute_error": "AbsoluteError",
    }[loss]
    assert criterion == expected
    assert np.isfinite(model.loss_)


def test_a_callable_loss_trains_as_the_named_one():
    X, y = load_diabetes(return_X_y=True)
    X, y = StandardScaler().fit_transform(X), y / 100

    def half_squared(outputs, target):  # unreduced: one value per element
        return 0.5 * (outputs - target) ** 2

    params = {"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0}
    named = MLPRegressor(**params).fit(X, y)
    given = MLPRegressor(loss=half_squared, **params).fit(X, y)
    np.testing.assert_allclose(given.loss_curve_, named.loss_curve_, rtol=1e-5)
    np.testing.assert_allclose(given.predict(X), named.predict(X), rtol=1e-4)


def test_an_nn_module_loss_is_used_unreduced_and_left_unchanged():
    X, y = load_diabetes(return_X_y=True)
    X, y = StandardScaler().fit_transform(X), y / 100
    huber = nn.HuberLoss(delta=1.0)  # reduction='mean' as given
    params = {"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0}
    given = MLPRegressor(loss=huber, **params).fit(X, y)
    named = MLPRegressor(loss="huber", **params).fit(X, y)
    np.testing.assert_allclose(given.loss_curve_, named.loss_curve_, rtol=1e-5)
    assert huber.reduction == "mean"  # the parameter is not modified
    assert isinstance(given.net_.criterion_, UserLoss)


def test_a_classifier_callable_gets_class_indices_and_scores():
    X, y = load_digits(return_X_y=True)
    seen = {}

    def cross_entropy(scores, target):
        seen["shapes"] = (tuple(scores.shape[1:]), target.dtype, target.ndim)
        return nn.functional.cross_entropy(scores, target, reduction="none")

    params = {"hidden_layer_sizes": (16,), "max_iter": 5, "random_state": 0}
    model = MLPClassifier(loss=cross_entropy, **params).fit(X / 16, y)
    assert seen["shapes"] == ((10,), torch.int64, 1)
    named = MLPClassifier(**params).fit(X / 16, y)
    np.testing.assert_allclose(model.loss_curve_, named.loss_curve_, rtol=1e-5)


def test_a_reduced_callable_loss_is_a_clear_error_and_the_model_is_kept():
    X, y = load_digits(return_X_y=True)
    model = MLPClassifier((4,), max_iter=2, random_state=0)

    def mean_loss(scores, target):
        return nn.functional.cross_entropy(scores, target)

    with pytest.raises(ValueError, match=r"unreduced losses, one per sample"):
        model.set_params(loss=mean_loss).fit(X, y)
    assert not hasattr(model, "net_")


def test_unknown_loss_names_the_options():
    X, y = load_digits(return_X_y=True)
    with pytest.raises(ValueError, match=r"'loss' parameter.*'squared_hinge'"):
        MLPClassifier(loss="cross_entropy").fit(X, y)
    with pytest.raises(ValueError, match=r"'loss' parameter.*'absolute_error'"):
        LSTMRegressor(loss="l1").fit(X[:, :8], y)
    with pytest.raises(ValueError, match=r"'loss' parameter.*'hinge'"):
        MLPClassifier(loss="mse").fit(X, y)  # Keras' names, on their own kind only


@pytest.mark.parametrize(
    "name, target", [("squared_log_error", -1.0), ("poisson", -0.5)], ids=str
)
def test_losses_of_non_negative_targets_refuse_negative_ones(name, target):
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match=rf"loss='{name}' needs non-negative"):
        MLPRegressor(loss=name).fit(X, [1.0, 2.0, 3.0, target])


def test_save_and_load_keep_a_named_loss_and_ask_for_a_callable(tmp_path):
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = MLPClassifier((8,), loss="squared_hinge", max_iter=5, random_state=0)
    model.fit(X, y)
    save(model, tmp_path / "hinge.skdl")
    loaded = load(tmp_path / "hinge.skdl")
    assert loaded.loss == "squared_hinge"
    assert type(loaded.net_.criterion_).__name__ == "BinaryHinge"
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))

    def focal(scores, target):
        return nn.functional.binary_cross_entropy_with_logits(
            scores, target, reduction="none"
        )

    custom = MLPClassifier((8,), loss=focal, max_iter=5, random_state=0).fit(X, y)
    save(custom, tmp_path / "custom.skdl")
    with pytest.raises(Exception, match=r"load\(path, loss=\.\.\.\)"):
        load(tmp_path / "custom.skdl")
    again = load(tmp_path / "custom.skdl", loss=focal)
    np.testing.assert_array_equal(again.predict_proba(X), custom.predict_proba(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again.set_params(warm_start=True, max_iter=1).fit(X, y)  # trains on
