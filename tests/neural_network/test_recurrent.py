"""LSTMClassifier and LSTMRegressor on numeric sequences (n, timesteps, features)."""

import numpy as np
import pandas as pd
import pytest
from api_checks import check_estimator_api
from sklearn.model_selection import GridSearchCV, train_test_split

from skdl import LSTMClassifier, LSTMRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {"hidden_size": 16, "learning_rate_init": 0.01, "random_state": 0}


def order_task(n, seed=0):
    """Two channels; the label says which channel's peak comes first in time.

    Every series holds one peak per channel at random times, so any function of
    the values that ignores their order is at chance.
    """
    rng = np.random.RandomState(seed)
    X = rng.normal(scale=0.1, size=(n, 15, 2)).astype(np.float32)
    times = np.array([rng.choice(15, size=2, replace=False) for _ in range(n)])
    X[np.arange(n), times[:, 0], 0] += 1.0
    X[np.arange(n), times[:, 1], 1] += 1.0
    return X, (times[:, 0] < times[:, 1]).astype(int)


def test_classifier_learns_the_order_of_events():
    X, y = order_task(400)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    model = LSTMClassifier(**FAST, max_iter=25, batch_size=32).fit(X_train, y_train)
    assert model.score(X_test, y_test) >= 0.9
    assert model.input_shape_ == (15, 2) and model.n_features_in_ == 2
    # the same values in a shuffled time order lose the information
    shuffled = X_test[:, np.random.RandomState(0).permutation(15)]
    assert model.score(shuffled, y_test) < 0.8


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_regressor_forecasts_a_univariate_series(cell):
    series = np.sin(np.arange(500) / 6.0) + 0.5 * np.sin(np.arange(500) / 17.0)
    windows = np.lib.stride_tricks.sliding_window_view(series, 13)
    X, y = windows[:, :-1], windows[:, -1]  # 12 past values -> the next one
    model = LSTMRegressor(**FAST, cell=cell, max_iter=60).fit(X[:400], y[:400])
    assert model.score(X[400:], y[400:]) > 0.95
    assert model.input_shape_ == (12,) and model.n_features_in_ == 12


def test_2d_input_is_a_univariate_series():
    X, y = order_task(100)
    X = X[:, :, 0]
    two_d = LSTMClassifier(**FAST, max_iter=3).fit(X, y)
    three_d = LSTMClassifier(**FAST, max_iter=3).fit(X[:, :, None], y)
    np.testing.assert_array_equal(
        two_d.predict_proba(X), three_d.predict_proba(X[:, :, None])
    )
    frame = pd.DataFrame(X, columns=[f"t{i}" for i in range(15)])
    named = LSTMClassifier(**FAST, max_iter=3).fit(frame, y)
    assert list(named.feature_names_in_) == list(frame.columns)
    np.testing.assert_array_equal(named.predict_proba(frame), two_d.predict_proba(X))
    named.fit(X[:, :, None], y)  # a 3-D refit forgets the column names
    assert not hasattr(named, "feature_names_in_")


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["last", "max", "mean"])
def test_architectures_fit_and_multioutput_regression(bidirectional, pooling):
    X, _ = order_task(64)
    y = np.stack([X.sum(axis=(1, 2)), X[:, -1, 0]], axis=1)
    model = LSTMRegressor(
        8,
        num_layers=2,
        bidirectional=bidirectional,
        pooling=pooling,
        dense_layers=(6,),
        dropout=0.2,
        max_iter=2,
        random_state=0,
    ).fit(X, y)
    assert model.predict(X).shape == (64, 2)
    params = model.net_.module_.encoder.layers
    assert len(params) == 2
    assert (params[0].backward_cell is not None) == bidirectional


def test_shape_errors_say_what_to_pass():
    X, y = order_task(40)
    model = LSTMClassifier(**FAST, max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(15, 2\)"):
        model.predict(X[:, :10])
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(15, 2\)"):
        model.predict(X[:, :, 0])
    with pytest.raises(ValueError, match="n_samples, n_timesteps, n_features"):
        model.fit(X[:, :, :, None], y)
    with pytest.raises(ValueError, match="NaN"):
        bad = X.copy()
        bad[0, 3, 1] = np.nan
        model.predict(bad)
    with pytest.raises(ValueError, match="X has 14 features, but LSTMClassifier"):
        LSTMClassifier(**FAST, max_iter=1).fit(X[:, :, 0], y).predict(X[:, 1:, 0])


def test_grid_search_over_the_cell():
    X, y = order_task(120)
    search = GridSearchCV(
        LSTMClassifier(**FAST, max_iter=2), {"cell": ["lstm", "gru", "rnn"]}, cv=2
    ).fit(X, y)
    assert search.best_params_["cell"] in ("lstm", "gru", "rnn")


def test_estimator_api_on_3d_arrays():
    X, y = order_task(80)
    check_estimator_api(LSTMClassifier(**FAST, max_iter=2), X, y)
    check_estimator_api(LSTMRegressor(**FAST, max_iter=2), X, X[:, :, 0].sum(axis=1))


@pytest.mark.parametrize("Estimator", [LSTMClassifier, LSTMRegressor])
def test_sample_weights_are_repeated_rows(Estimator):
    """In float64, full-batch fits with integer weights and with the rows repeated
    follow the same L-BFGS trajectory (sklearn's check compares the ends of
    longer runs, which on this non-convex model part after ~20 iterations)."""
    X, y = order_task(40)
    weight = np.random.RandomState(0).randint(0, 3, len(y))
    params = {**FAST, "solver": "lbfgs", "precision": "float64", "max_iter": 10}
    weighted = Estimator(**params).fit(X, y, sample_weight=weight)
    repeated = Estimator(**params).fit(np.repeat(X, weight, 0), np.repeat(y, weight))
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-12)
    output = "predict_proba" if Estimator is LSTMClassifier else "predict"
    np.testing.assert_allclose(
        getattr(weighted, output)(X),
        getattr(repeated, output)(X),
        rtol=1e-9,
        atol=1e-12,
    )
