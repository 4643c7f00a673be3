"""learning_rate='exponential' | 'step' | 'plateau' and their callbacks."""

import numpy as np
import pytest
from api_checks import keras_decay
from sklearn.datasets import load_digits

from skdl import MLPClassifier
from skdl.callbacks import ExponentialDecayLR, ReduceLROnPlateau
from skdl.io import load, save

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16, y


def small(**params):
    defaults = {
        "hidden_layer_sizes": (8,),
        "solver": "sgd",
        "tol": 0,
        "random_state": 0,
    }
    return MLPClassifier(**{**defaults, **params})


@pytest.mark.parametrize("schedule", ["exponential", "step"])
def test_decays_follow_their_formula_epoch_by_epoch(digits, schedule):
    X, y = digits
    model = small(
        learning_rate=schedule,
        learning_rate_init=0.1,
        decay_rate=0.5,
        decay_steps=2,
        max_iter=6,
    ).fit(X, y)
    expected = keras_decay(schedule, 0.1, 0.5, 2, 7)
    np.testing.assert_allclose(model.history_[:, "lr"], expected[:6])
    # the optimizer holds the rate of the next epoch
    assert model.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(expected[6])


def test_a_warm_start_continues_the_decay_and_the_floor_holds(digits):
    X, y = digits
    model = small(
        learning_rate="step",
        learning_rate_init=0.1,
        decay_steps=1,
        decay_rate=0.1,
        min_learning_rate=1e-3,
        max_iter=2,
        warm_start=True,
    ).fit(X, y)
    model.fit(X, y)
    np.testing.assert_allclose(model.history_[:, "lr"], [0.1, 0.01, 1e-3, 1e-3])


def test_plateau_lowers_the_rate_after_patience_epochs(digits):
    X, y = digits
    # tol=10: no epoch after the first improves the loss by that much
    model = small(
        learning_rate="plateau",
        learning_rate_init=0.1,
        decay_rate=0.5,
        plateau_patience=2,
        tol=10.0,
        n_iter_no_change=100,
        max_iter=6,
    ).fit(X, y)
    np.testing.assert_allclose(
        model.history_[:, "lr"], [0.1, 0.1, 0.1, 0.05, 0.05, 0.025]
    )


def test_plateau_monitors_the_validation_loss_when_there_is_one(digits):
    X, y = digits
    model = small(learning_rate="plateau", max_iter=4, learning_rate_init=0.05)
    model.fit(X[:1000], y[:1000], validation_data=(X[1000:], y[1000:]))
    plateau = dict(model.net_.callbacks_)["plateau"]
    assert plateau.best_ == min(model.history_[:, "valid_loss"])
    plain = small(learning_rate="plateau", max_iter=4).fit(X, y)
    assert dict(plain.net_.callbacks_)["plateau"].best_ == min(plain.loss_curve_)


def test_lbfgs_has_no_schedule(digits):
    X, y = digits
    model = small(solver="lbfgs", learning_rate="exponential", max_iter=3).fit(X, y)
    assert "lr_decay" not in dict(model.net_.callbacks_)


def test_a_model_with_a_plateau_schedule_round_trips(digits, tmp_path):
    X, y = digits
    model = small(learning_rate="plateau", plateau_patience=1, max_iter=4).fit(X, y)
    save(model, tmp_path / "m.skdl")
    loaded = load(tmp_path / "m.skdl")
    before = dict(model.net_.callbacks_)["plateau"]
    after = dict(loaded.net_.callbacks_)["plateau"]
    assert (after.best_, after.wait_) == (before.best_, before.wait_)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"learning_rate": "cosine"}, "'learning_rate' parameter"),
        ({"decay_rate": 1.5}, "'decay_rate' parameter"),
        ({"decay_steps": 0}, "'decay_steps' parameter"),
        ({"plateau_patience": -1}, "'plateau_patience' parameter"),
        ({"min_learning_rate": -1.0}, "'min_learning_rate' parameter"),
    ],
)
def test_schedule_parameters_are_validated(digits, params, message):
    X, y = digits
    with pytest.raises(ValueError, match=message):
        small(**params).fit(X, y)


def test_the_callbacks_alone():
    assert ExponentialDecayLR(1.0, 0.1, 1, min_learning_rate=0.05).rate(3) == 0.05
    assert ReduceLROnPlateau(0.1, 3).initialize().wait_ == 0
