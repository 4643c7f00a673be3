"""LVQClassifier's training options (issue 19): validation_data, the early-stopping
monitor, the decay schedules and the solvers, and which variants take them."""

import warnings

import numpy as np
import pytest
from api_checks import SOLVER_CASES, check_optimizer
from sklearn.datasets import load_iris
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skdl import LVQClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.4, stratify=y, random_state=0)


# -- validation_data -----------------------------------------------------------------
@pytest.mark.parametrize("variant", ["glvq", "gmlvq", "lvq1", "lvq3"])
def test_validation_data_gives_the_validation_cost_and_accuracy(iris, variant):
    X, X_val, y, y_val = iris
    model = LVQClassifier(variant, max_iter=4, random_state=0)
    model.fit(X, y, validation_data=(X_val, y_val))
    assert model.history_[0, "samples_seen"] == len(X)  # no split set aside
    # the last epoch's records are those of the fitted model on X_val
    assert model.history_[-1, "valid_score"] == pytest.approx(model.score(X_val, y_val))
    if variant.startswith("lvq"):  # the online rules' loss: the error rate
        expected = 1 - model.score(X_val, y_val)
    else:  # the mean cost sigmoid(beta * mu), mu minus the true class's margin
        mu = -model.decision_function(X_val)[np.arange(len(y_val)), y_val]
        expected = np.mean(1 / (1 + np.exp(-model.beta * mu)))
    assert model.history_[-1, "valid_loss"] == pytest.approx(expected, rel=1e-5)


def test_validation_sample_weights_weigh_the_score(iris):
    X, X_val, y, y_val = iris
    weight = np.where(y_val == 1, 5.0, 1.0)
    model = LVQClassifier("lvq1", max_iter=2, random_state=0)
    model.fit(X, y, validation_data=(X_val, y_val, weight))
    expected = accuracy_score(y_val, model.predict(X_val), sample_weight=weight)
    assert model.history_[-1, "valid_score"] == pytest.approx(expected)


@pytest.mark.parametrize("monitor", ["score", "loss"])
def test_early_stopping_stops_on_the_validation_data(iris, monitor):
    X, X_val, y, y_val = iris
    model = LVQClassifier(
        "glvq",
        early_stopping=True,
        early_stopping_monitor=monitor,
        n_iter_no_change=3,
        learning_rate_init=0.05,
        max_iter=300,
        random_state=0,
    ).fit(X, y, validation_data=(X_val, y_val))
    assert model.n_iter_ < 300
    assert model.history_[0, "samples_seen"] == len(X)
    assert model.validation_scores_ == model.history_[:, "valid_score"]
    losses = model.history_[:, "valid_loss"]
    scores = model.validation_scores_
    best = np.argmin(losses) if monitor == "loss" else np.argmax(scores)
    # the best epoch's prototypes are restored
    assert model.score(X_val, y_val) == pytest.approx(scores[best])
    if monitor == "loss":
        mu = -model.decision_function(X_val)[np.arange(len(y_val)), y_val]
        cost = np.mean(1 / (1 + np.exp(-model.beta * mu)))
        assert cost == pytest.approx(losses[best], rel=1e-5)


def test_bad_validation_data_is_a_clear_error(iris):
    X, X_val, y, y_val = iris
    model = LVQClassifier(max_iter=2)
    with pytest.raises(ValueError, match=r"tuple \(X_val, y_val\)"):
        model.fit(X, y, validation_data=X_val)
    with pytest.raises(ValueError, match=r"labels that the training y does not: \[7\]"):
        model.fit(X, y, validation_data=(X_val, np.where(y_val == 0, 7, y_val)))
    assert not hasattr(model, "net_")


# -- schedules -----------------------------------------------------------------------
def test_an_online_rule_steps_by_the_decayed_rate_of_each_epoch():
    # one sample of class 0 at (1, 2); the class-0 prototype starts at (0, 0) and
    # wins each epoch: it moves by 0.5 of the way, then by 0.5 * 0.25
    model = LVQClassifier(
        "lvq1",
        prototype_init=np.array([[0.0, 0.0], [4.0, 0.0]]),
        learning_rate="exponential",
        learning_rate_init=0.5,
        decay_rate=0.25,
        decay_steps=1,
        max_iter=2,
        tol=0,
    ).fit([[1.0, 2.0], [4.0, 0.0]], [0, 1])
    np.testing.assert_array_equal(model.history_[:, "lr"], [0.5, 0.125])
    first = np.array([0.5, 1.0])
    np.testing.assert_allclose(
        model.prototypes_[0], first + 0.125 * (np.array([1.0, 2.0]) - first)
    )


@pytest.mark.parametrize("variant", ["glvq", "lvq1", "lvq2.1", "lvq3"])
@pytest.mark.parametrize(
    "schedule, exponents",
    # decay_rate ** (t / decay_steps), or ** (t // decay_steps), after t epochs
    [("exponential", [0, 0.5, 1, 1.5, 2]), ("step", [0, 0, 1, 1, 2])],
)
def test_decays_follow_their_formula_epoch_by_epoch(iris, variant, schedule, exponents):
    X, _, y, _ = iris
    model = LVQClassifier(variant, learning_rate=schedule, learning_rate_init=0.1)
    model.set_params(decay_rate=0.5, decay_steps=2, tol=0, max_iter=5).fit(X, y)
    expected = 0.1 * 0.5 ** np.array(exponents)
    np.testing.assert_allclose(model.history_[:, "lr"], expected)


@pytest.mark.parametrize("variant", ["glvq", "lvq1"])
def test_plateau_lowers_the_rate_after_patience_epochs(iris, variant):
    X, X_val, y, y_val = iris
    model = LVQClassifier(variant, learning_rate="plateau", learning_rate_init=0.1)
    model.set_params(decay_rate=0.5, plateau_patience=1, min_learning_rate=0.02)
    # tol=10: no epoch improves the validation loss by that much
    model.set_params(tol=10.0, n_iter_no_change=100, max_iter=6)
    model.fit(X, y, validation_data=(X_val, y_val))
    # halved after every epoch without improvement from the second on, down to
    # min_learning_rate
    np.testing.assert_allclose(
        model.history_[:, "lr"], [0.1, 0.1, 0.05, 0.025, 0.02, 0.02]
    )
    plateau = dict(model.net_.callbacks_)["plateau"]
    assert plateau.best_ == model.history_[0, "valid_loss"]


# -- solvers -------------------------------------------------------------------------
@pytest.mark.parametrize("params, torch_class, group", SOLVER_CASES)
def test_each_solver_gives_its_torch_optimizer(iris, params, torch_class, group):
    X, X_val, y, y_val = iris
    model = LVQClassifier("grlvq", learning_rate_init=0.05, random_state=0)
    model.set_params(max_iter=30, **params).fit(X, y)
    check_optimizer(model, torch_class, group)
    if params["solver"] != "adadelta":  # whose steps are small at this rate
        assert model.score(X_val, y_val) > 0.8


# -- what each variant takes ---------------------------------------------------------
@pytest.mark.parametrize(
    "variant, params, message",
    [
        ("lvq1", {"solver": "nadam"}, r"solver='nadam' trains the generalized"),
        ("lvq2.1", {"solver": "adadelta"}, r"Leave solver at 'adam'"),
        ("lvq3", {"solver": "adamax"}, r"variant='lvq3' is an online rule"),
        ("olvq1", {"amsgrad": True}, r"Set amsgrad=False"),
        ("lvq1", {"rho": 0.9}, r"Set rho=None"),
        ("olvq1", {"learning_rate": "exponential"}, r"leave learning_rate at 'linear'"),
        ("olvq1", {"learning_rate": "step"}, r"keeps a rate per prototype"),
        ("olvq1", {"learning_rate": "plateau"}, r"variant='lvq1' with this schedule"),
    ],
)
def test_options_an_online_rule_cannot_use_are_refused(iris, variant, params, message):
    X, _, y, _ = iris
    model = LVQClassifier(variant, max_iter=2, **params)
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)
    with pytest.raises(ValueError, match=message):
        model.partial_fit(X, y, classes=[0, 1, 2])
    assert not hasattr(model, "net_")


def test_what_the_online_rules_accepted_before_still_fits_with_a_warning(iris):
    X, _, y, _ = iris
    # the older solvers are ignored by the online rules, as documented; so are
    # 'invscaling' and 'adaptive' by olvq1: they still fit, and say so
    for params in ({"solver": "sgd"}, {"solver": "rmsprop"}):
        with pytest.warns(FutureWarning, match=r"solver='\w+' has no effect: var"):
            LVQClassifier("lvq1", max_iter=2, **params).fit(X, y)
    with pytest.warns(FutureWarning, match="'invscaling' has no effect: .*olvq1"):
        LVQClassifier("olvq1", learning_rate="invscaling", max_iter=2).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # the defaults say nothing
        LVQClassifier("lvq1", max_iter=2).fit(X, y)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"learning_rate": "cosine"}, "'learning_rate' parameter"),
        ({"early_stopping_monitor": "val_loss"}, "'early_stopping_monitor' parameter"),
        ({"decay_steps": 0}, "'decay_steps' parameter"),
        ({"plateau_patience": -1}, "'plateau_patience' parameter"),
        ({"min_learning_rate": -1.0}, "'min_learning_rate' parameter"),
        ({"amsgrad": "yes"}, "'amsgrad' parameter"),
    ],
)
def test_bad_values_are_clear_errors(iris, params, message):
    X, _, y, _ = iris
    with pytest.raises(ValueError, match=message):
        LVQClassifier(max_iter=1, **params).fit(X, y)
