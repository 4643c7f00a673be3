"""fit(..., validation_data=...), early_stopping_monitor and the training accuracy."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, log_loss

from skdl import MLPClassifier, MLPRegressor
from tests.estimator_cases import CASES

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:1000] / 16, y[:1000], X[1000:] / 16, y[1000:]


def test_validation_data_is_scored_every_epoch(digits):
    X, y, X_val, y_val = digits
    model = MLPClassifier((16,), alpha=0, max_iter=5, random_state=0)
    model.fit(X, y, validation_data=(X_val, y_val))
    assert len(model.history_[:, "valid_loss"]) == 5
    # the last epoch's records are those of the fitted model on X_val
    assert model.history_[-1, "valid_score"] == pytest.approx(model.score(X_val, y_val))
    expected = log_loss(y_val, model.predict_proba(X_val))
    assert model.history_[-1, "valid_loss"] == pytest.approx(expected, rel=1e-4)
    # every training row trains (no validation_fraction is set aside); the
    # attributes of scikit-learn's early stopping stay off without it
    assert model.history_[0, "samples_seen"] == len(X)
    assert model.validation_scores_ is None and model.best_loss_ is not None


def test_validation_sample_weights_weigh_the_score(digits):
    X, y, X_val, y_val = digits
    weight = (y_val < 5).astype(float) + 0.1
    model = MLPClassifier((16,), max_iter=3, random_state=0)
    model.fit(X, y, validation_data=(X_val, y_val, weight))
    expected = accuracy_score(y_val, model.predict(X_val), sample_weight=weight)
    assert model.history_[-1, "valid_score"] == pytest.approx(expected)


def test_early_stopping_stops_on_the_validation_data(digits):
    X, y, X_val, y_val = digits
    model = MLPClassifier(
        (32,), early_stopping=True, n_iter_no_change=3, max_iter=300, random_state=0
    )
    model.fit(X, y, validation_data=(X_val, y_val))
    assert model.n_iter_ < 300
    assert model.history_[0, "samples_seen"] == len(X)  # validation_fraction unused
    assert model.validation_scores_ == model.history_[:, "valid_score"]
    # the best epoch's weights are restored
    assert model.score(X_val, y_val) == pytest.approx(model.best_validation_score_)


def test_early_stopping_can_monitor_the_validation_loss(digits):
    X, y, X_val, y_val = digits
    model = MLPClassifier(
        (32,),
        early_stopping=True,
        early_stopping_monitor="loss",
        n_iter_no_change=2,
        tol=0.05,
        learning_rate_init=0.01,
        max_iter=300,
        random_state=0,
    )
    model.fit(X, y, validation_data=(X_val, y_val))
    losses = model.history_[:, "valid_loss"]
    # stopped n_iter_no_change + 1 epochs after the last improvement by tol,
    # with the weights of the lowest validation loss
    assert model.n_iter_ < 300
    best = int(np.argmin(losses))
    assert log_loss(y_val, model.predict_proba(X_val)) == pytest.approx(
        losses[best], rel=1e-3
    )
    # the split of validation_fraction, when no validation_data is given
    split = MLPClassifier(
        (32,),
        early_stopping=True,
        early_stopping_monitor="loss",
        n_iter_no_change=3,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    assert split.history_[0, "samples_seen"] == 900
    assert split.n_iter_ < 200


def test_the_training_accuracy_is_recorded_beside_the_validation_score(digits):
    X, y, X_val, y_val = digits
    # one batch and a negligible step: the accuracy of the epoch's outputs is
    # the fitted model's
    model = MLPClassifier(
        (16,), batch_size=len(X), learning_rate_init=1e-12, max_iter=2, random_state=0
    )
    model.fit(X, y, validation_data=(X_val, y_val))
    assert model.history_[-1, "train_score"] == pytest.approx(model.score(X, y))
    # binary and multilabel targets, with sample weights
    Y = np.column_stack([y % 2, y > 4])
    weight = np.where(y == 3, 5.0, 1.0)
    model.fit(X, Y, sample_weight=weight, validation_data=(X_val, Y[: len(X_val)]))
    expected = accuracy_score(Y, model.predict(X), sample_weight=weight)
    assert model.history_[-1, "train_score"] == pytest.approx(expected)
    # a fit without a validation set does not pay for it
    plain = MLPClassifier((16,), max_iter=2, random_state=0).fit(X, y)
    assert "train_score" not in plain.history_[-1]


def test_a_regressor_takes_validation_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5]
    # a linear model, 10 steps an epoch (measured: R2 1.0 after 20-26 epochs on
    # seeds 0-5; one step an epoch left it at 0.79-1.0 after 50)
    model = MLPRegressor(
        hidden_layer_sizes=(),
        learning_rate_init=0.05,
        batch_size=16,
        max_iter=50,
        random_state=0,
    )
    model.fit(X[:150], y[:150], validation_data=(X[150:], y[150:]))
    assert model.history_[-1, "valid_score"] == pytest.approx(
        model.score(X[150:], y[150:]), rel=1e-5
    )
    assert model.history_[-1, "valid_score"] > 0.99


@pytest.mark.parametrize(
    "validation_data, message",
    [
        ("bad", r"tuple \(X_val, y_val\) or \(X_val, y_val, sample_weight_val\)"),
        ((1, 2, 3, 4), r"got tuple of length 4"),
        ("wrong-features", r"X has 10 features, but MLPClassifier"),
        ("unseen-labels", r"labels that the training y does not: \[10\]"),
    ],
)
def test_bad_validation_data_is_a_clear_error_and_leaves_the_model(
    digits, validation_data, message
):
    X, y, X_val, y_val = digits
    if validation_data == "wrong-features":
        validation_data = (X_val[:, :10], y_val)
    elif validation_data == "unseen-labels":
        validation_data = (X_val, np.where(y_val == 0, 10, y_val))
    model = MLPClassifier((4,), max_iter=2, random_state=0)
    with pytest.raises(ValueError, match=message):
        model.fit(X, y, validation_data=validation_data)
    assert not hasattr(model, "net_")


@pytest.mark.parametrize(
    "name",
    [
        "MLPClassifier",
        "MLPRegressor",
        "CNNClassifier",
        "LSTMClassifier",
        "LSTMRegressor",
        "LSTMTextClassifier",
        "LVQClassifier",
    ],
)
def test_every_network_estimator_takes_validation_data(name):
    case = CASES[name]
    X, y = case.data()
    n = len(y) // 2
    take = (
        (lambda a, s: [a[i] for i in range(len(a))[s]])
        if isinstance(X, list)
        else (lambda a, s: a[s])
    )
    model = case.make(early_stopping=True, early_stopping_monitor="loss", max_iter=3)
    model.fit(
        take(X, slice(n, None)), y[n:], validation_data=(take(X, slice(0, n)), y[:n])
    )
    assert all(np.isfinite(model.history_[:, "valid_loss"]))
    assert "valid_loss_best" in model.history_[-1]


def test_errors_in_validation_data_say_so(digits):
    X, y, _, _ = digits
    with pytest.raises(
        ValueError, match=r"^In validation_data: X has 3 features, but MLPClassifier"
    ):
        MLPClassifier((4,), max_iter=1).fit(X, y, validation_data=(X[:, :3], y))
