"""L1Shrinkage: the L1 penalty as a proximal step, on every trainable module."""

import numpy as np
import pytest
import torch

from skdl.callbacks import L1Shrinkage
from tests.estimator_cases import CASES

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# every estimator trained by gradient steps through the base's loop
GRADIENT_TRAINED = [
    "MLPClassifier",
    "MLPRegressor",
    "AutoencoderTransformer",
    "LSTMClassifier",
    "LSTMRegressor",
    "LSTMTextClassifier",
    "LSTMLanguageModel",
    "CNNClassifier",
]


def _weight_matrices(estimator):
    return [p for p in estimator.net_.module_.parameters() if p.ndim >= 2]


@pytest.mark.parametrize("name", GRADIENT_TRAINED)
def test_l1_shrinkage_zeroes_weights_of_every_module(name):
    case = CASES[name]
    X, y = case.data()
    plain = case.make().fit(X, y)
    shrunk = case.make(callbacks=[L1Shrinkage(1e4)]).fit(X, y)
    # a step of lr * 1e4 (>= 10) zeroes every weight matrix; biases are kept
    assert all(bool((w == 0).all()) for w in _weight_matrices(shrunk))
    assert not any(bool((w == 0).all()) for w in _weight_matrices(plain))
    biases = [p for p in shrunk.net_.module_.parameters() if p.ndim == 1]
    assert any(bool((b != 0).any()) for b in biases)


def test_l1_shrinkage_is_the_proximal_step_of_the_penalty():
    case = CASES["MLPRegressor"]
    X, y = case.data()
    model = case.make(solver="sgd", max_iter=1, batch_size=len(X)).fit(X, y)
    before = [w.detach().clone() for w in _weight_matrices(model)]
    # one more step with a zero learning rate: only the shrinkage moves weights
    model.set_params(
        warm_start=True, learning_rate_init=1e-12, callbacks=[L1Shrinkage(1e10)]
    )
    model.fit(X, y)
    step = 1e-12 * 1e10
    for w0, w1 in zip(before, _weight_matrices(model), strict=True):
        expected = torch.sign(w0) * (w0.abs() - step).clamp(min=0)
        torch.testing.assert_close(w1.detach(), expected, atol=1e-6, rtol=0)


def test_l1_shrinkage_does_not_ask_for_per_batch_history():
    case = CASES["MLPClassifier"]
    X, y = case.data()
    model = case.make(callbacks=[L1Shrinkage(0.01)], batch_size=10).fit(X, y)
    # one summary row per pass, not a row per batch
    assert len(model.history_[-1, "batches"]) == 1
    assert np.isfinite(model.loss_)
