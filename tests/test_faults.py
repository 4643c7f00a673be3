"""Faults during training and prediction, across the torch estimator families.

``tests/test_base.py`` covers the MLP: divergence, an error in a callback, an
interrupt at the end of an epoch; ``tests/neural_network/test_rbm.py`` the RBM's
divergence. Here: the same guarantees for every family that trains through the
base (MLP, LVQ, LSTM, text), an interrupt in the middle of an epoch, interrupts
of the RBM's own loop, and out-of-memory errors of a GPU, simulated on the CPU.
"""

import numpy as np
import pytest
import torch
from estimator_cases import CASES, OUTPUT_METHODS, case_ids, cases, output
from skorch.callbacks import Callback

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
    per_epoch = -(-len(X) // 16)
    # after the first batch of epoch 3: that epoch's loss is never read
    interrupt = InterruptAtBatch(2 * per_epoch + 1)
    estimator = case.make(max_iter=5, batch_size=16, callbacks=[interrupt])
    with pytest.warns(UserWarning, match=rf"{name} training was interrupted after 2"):
        estimator.fit(X, y)
    assert estimator.n_iter_ == 2 == len(estimator.history_)
    assert len(estimator.loss_curve_) == 2
    assert len(output(estimator, X)) == len(X)


@pytest.mark.parametrize(("name", "case"), BASE_TRAINED, ids=case_ids(BASE_TRAINED))
def test_interrupt_in_the_first_epoch_leaves_the_estimator_as_it_was(name, case):
    X, y = case.data()
    estimator = case.make(max_iter=2).fit(X, y)
    before = output(estimator, X)
    n_iter = estimator.n_iter_
    estimator.set_params(warm_start=True, callbacks=[InterruptAtBatch(1)])
    with pytest.raises(KeyboardInterrupt):
        estimator.fit(X, y)
    assert estimator.n_iter_ == n_iter == len(estimator.history_)
    np.testing.assert_array_equal(output(estimator, X), before)
    fresh = case.make(callbacks=[InterruptAtBatch(1)])
    with pytest.raises(KeyboardInterrupt):
        fresh.fit(X, y)
    assert not hasattr(fresh, "net_")


@pytest.mark.parametrize(("name", "case"), BASE_TRAINED, ids=case_ids(BASE_TRAINED))
def test_an_error_in_a_callback_names_it_and_keeps_the_model(name, case):
    X, y = case.data()
    estimator = case.make(warm_start=True).fit(X, y)
    before = output(estimator, X)
    estimator.set_params(callbacks=[("saver", FailsInEpoch())])
    with pytest.raises(RuntimeError, match=r"disk full \[raised in callback 'saver'"):
        estimator.fit(X, y)
    np.testing.assert_array_equal(output(estimator, X), before)


# -- out of memory (a GPU's error, raised here on the CPU) -------------------------
def _out_of_memory(*args, **kwargs):
    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB.")


@pytest.mark.parametrize(("name", "case"), BASE_TRAINED, ids=case_ids(BASE_TRAINED))
def test_out_of_memory_in_fit_suggests_a_smaller_batch_size(name, case, monkeypatch):
    X, y = case.data()
    estimator = case.make(warm_start=True).fit(X, y)
    before = output(estimator, X)
    monkeypatch.setattr(type(estimator.net_), "train_step", _out_of_memory)
    with pytest.raises(
        torch.OutOfMemoryError,
        match=rf"{name} ran out of memory while training \(batch_size=.*Lower "
        r"batch_size.*PyTorch: CUDA out of memory\. Tried to allocate 2\.00 GiB",
    ):
        estimator.fit(X, y)
    monkeypatch.undo()
    np.testing.assert_array_equal(output(estimator, X), before)


@pytest.mark.parametrize(("name", "case"), BASE_TRAINED, ids=case_ids(BASE_TRAINED))
def test_out_of_memory_in_predict_suggests_fewer_rows(name, case, monkeypatch):
    X, y = case.data()
    estimator = case.make().fit(X, y)
    monkeypatch.setattr(estimator, "_output_function", _out_of_memory)
    with pytest.raises(
        torch.OutOfMemoryError,
        match=rf"{name} ran out of memory on cpu while predicting in batches of "
        r"up to \d+ rows\. Pass fewer rows per call\. PyTorch: CUDA out of memory",
    ):
        output(estimator, X)


def test_rbm_out_of_memory_suggests_a_smaller_batch_size(monkeypatch):
    import skdl.neural_network._rbm as rbm_module

    case = CASES["RBMTransformer"]
    X, _ = case.data()
    rbm = case.make().fit(X)
    before = rbm.transform(X)
    with monkeypatch.context() as patch:
        patch.setattr(rbm_module, "_run_epoch", _out_of_memory)
        with pytest.raises(
            torch.OutOfMemoryError,
            match=r"RBMTransformer ran out of memory while training \(batch_size=10\)"
            r"\. Lower batch_size or n_components\. PyTorch: CUDA out of memory",
        ):
            rbm.partial_fit(X)
    np.testing.assert_array_equal(rbm.transform(X), before)
    assert rbm.n_iter_ == 2
    with monkeypatch.context() as patch:
        patch.setattr(rbm_module, "threads_for_steps", _out_of_memory)
        with pytest.raises(
            torch.OutOfMemoryError, match=r"while processing chunks of 40 rows\. Pass "
        ):
            rbm.transform(X)


# -- the RBM's own training loop ---------------------------------------------------
@pytest.mark.parametrize("name", ["RBMTransformer", "DBNTransformer"])
def test_rbm_interrupt_leaves_the_estimator_as_it_was(name, monkeypatch):
    """The RBM loop does not keep partial fits: an interrupt restores the state."""
    import skdl.neural_network._rbm as rbm_module

    case = CASES[name]
    X, _ = case.data()
    estimator = case.make().fit(X)
    before = estimator.transform(X)
    calls = []
    run_epoch = rbm_module._run_epoch

    def interrupted_second_epoch(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        run_epoch(*args)

    monkeypatch.setattr(rbm_module, "_run_epoch", interrupted_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        estimator.fit(X)
    np.testing.assert_array_equal(estimator.transform(X), before)


# -- non-finite outputs --------------------------------------------------------------
@pytest.mark.parametrize(("name", "case"), BASE_TRAINED, ids=case_ids(BASE_TRAINED))
def test_outputs_that_overflow_float32_are_an_error_not_a_label(name, case):
    X, y = case.data()
    estimator = case.make().fit(X, y)
    before = output(estimator, X)
    estimator.net_.module_.register_forward_hook(
        lambda module, inputs, output: output * float("nan")
    )
    for method in OUTPUT_METHODS:
        if hasattr(estimator, method):
            with pytest.raises(
                ValueError,
                match=rf"{name} computed NaN or infinite outputs for {len(X)} of "
                rf"{len(X)} samples \(the first is row 0\).*Scale X",
            ):
                getattr(estimator, method)(X)
    estimator.net_.module_._forward_hooks.clear()
    np.testing.assert_array_equal(output(estimator, X), before)
