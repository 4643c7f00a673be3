"""Faults during training and prediction, across the torch estimator families.

``tests/test_base.py`` covers the MLP: divergence, an error in a callback, an
interrupt at the end of an epoch. Here: the same guarantees for the other families
that train through the base (LVQ, LSTM, text), an interrupt in the middle of an
epoch, interrupts and divergence of the RBM (its own loop), and out-of-memory
errors on a GPU, simulated on the CPU.
"""

import warnings

import numpy as np
import pytest
import torch
from estimator_cases import CASES, case_ids, cases
from skorch.callbacks import Callback

from skdl.exceptions import DivergenceError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# estimators trained by the base's loop (they take `callbacks`)
BASE_TRAINED = [pair for pair in cases() if "callbacks" in pair[1].make().get_params()]


class InterruptAtBatch(Callback):
    """Raise KeyboardInterrupt at the end of training batch number ``at``."""

    def __init__(self, at):
        self.at = at

    def initialize(self):
        self.seen_ = 0
        return self

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        self.seen_ += bool(training)
        if self.seen_ == self.at:
            raise KeyboardInterrupt


class FailsInEpoch(Callback):
    def on_epoch_end(self, net, **kwargs):
        raise RuntimeError("disk full")


@pytest.mark.parametrize(("name", "case"), BASE_TRAINED, ids=case_ids(BASE_TRAINED))
def test_interrupt_mid_epoch_keeps_the_finished_epochs(name, case):
    X, y = case.data()
    per_epoch = -(-len(y) // 16)
    # after the first batch of epoch 3: that epoch's loss is never read
    interrupt = InterruptAtBatch(2 * per_epoch + 1)
    estimator = case.make(max_iter=5, batch_size=16, callbacks=[interrupt])
    with pytest.warns(UserWarning, match=rf"{name} training was interrupted after 2"):
        estimator.fit(X, y)
    assert estimator.n_iter_ == 2 == len(estimator.history_)
    assert len(estimator.loss_curve_) == 2
    assert len(estimator.predict(X)) == len(y)


@pytest.mark.parametrize(("name", "case"), BASE_TRAINED, ids=case_ids(BASE_TRAINED))
def test_interrupt_in_the_first_epoch_leaves_the_estimator_as_it_was(name, case):
    X, y = case.data()
    estimator = case.make(max_iter=2).fit(X, y)
    before = estimator.predict(X)
    n_iter = estimator.n_iter_
    estimator.set_params(warm_start=True, callbacks=[InterruptAtBatch(1)])
    with pytest.raises(KeyboardInterrupt):
        estimator.fit(X, y)
    assert estimator.n_iter_ == n_iter == len(estimator.history_)
    np.testing.assert_array_equal(estimator.predict(X), before)
    fresh = case.make(callbacks=[InterruptAtBatch(1)])
    with pytest.raises(KeyboardInterrupt):
        fresh.fit(X, y)
    assert not hasattr(fresh, "net_")


@pytest.mark.parametrize(("name", "case"), BASE_TRAINED, ids=case_ids(BASE_TRAINED))
def test_an_error_in_a_callback_names_it_and_keeps_the_model(name, case):
    X, y = case.data()
    estimator = case.make(warm_start=True).fit(X, y)
    before = estimator.predict(X)
    estimator.set_params(callbacks=[("saver", FailsInEpoch())])
    with pytest.raises(RuntimeError, match=r"disk full \[raised in callback 'saver'"):
        estimator.fit(X, y)
    np.testing.assert_array_equal(estimator.predict(X), before)
