"""Faults during training and prediction, across the torch estimator families.

``tests/test_base.py`` covers the MLP: divergence, an error in a callback, an
interrupt at the end of an epoch; ``tests/neural_network/test_rbm.py`` the RBM's
divergence. Here: the same guarantees for every family that trains through the
base (MLP, LVQ, LSTM, text, autoencoder, Boltzmann machine), divergence in
every way a fit can end (the last step, ``partial_fit``, early stopping) and in
the RBM's own loop, an interrupt in the middle of an epoch, interrupts of the
RBM's own loop, and out-of-memory errors of every allocator (CUDA's, torch's CPU
allocator, NumPy), simulated, in training and in predictions or transforms.
"""

import math
import re

import numpy as np
import pytest
import torch
from estimator_cases import CASES, OUTPUT_METHODS, case_ids, cases, output
from sklearn.exceptions import ConvergenceWarning
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


# -- divergence ----------------------------------------------------------------------
# scikit-learn's words for a diverged fit, then skdl's advice
_DIVERGED = (
    r"{name} training diverged in epoch \d+: .*Solver produced non-finite parameter "
    r"weights\. The input data may contain large values and need to be "
    r"preprocessed\. Lower learning_rate_init .*scale X"
)


def _weights(estimator):
    return [p.detach().clone() for p in estimator.net_.module_.parameters()]


@pytest.mark.parametrize(("name", "case"), BASE_TRAINED, ids=case_ids(BASE_TRAINED))
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_a_huge_learning_rate_is_a_divergence_error_however_the_fit_ends(
    name, case, solver
):
    """The loss of an epoch is read before its last step: a last step that
    overflows (max_iter=1, partial_fit) must be caught from the weights."""
    X, y = case.data()
    match = _DIVERGED.format(name=name)
    calls = {"fit": lambda e: e.fit(X, y)}
    if hasattr(case.make(), "partial_fit"):
        classes = {"classes": np.unique(y)} if case.task == "classifier" else {}
        calls["partial_fit"] = lambda e: e.partial_fit(X, y, **classes)
    for method, call in calls.items():
        fresh = case.make(solver=solver, learning_rate_init=1e30, max_iter=1)
        with pytest.raises(DivergenceError, match=match):
            call(fresh)
        assert not hasattr(fresh, "net_"), method

    estimator = case.make(solver=solver, warm_start=True).fit(X, y)
    before, weights, n_iter = (
        output(estimator, X),
        _weights(estimator),
        estimator.n_iter_,
    )
    with pytest.raises(DivergenceError, match=match):
        estimator.set_params(learning_rate_init=1e30).fit(X, y)
    assert estimator.n_iter_ == n_iter == len(estimator.history_)
    for old, new in zip(weights, _weights(estimator), strict=True):
        assert torch.equal(old, new)
    np.testing.assert_array_equal(output(estimator, X), before)


class PoisonWeightsAtEpoch(Callback):
    """Fill the weights with NaN at the start of epoch ``epoch`` (counted from 1)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.epoch:
            with torch.no_grad():
                for parameter in net.module_.parameters():
                    parameter.fill_(float("nan"))


# those with a validation score to stop on (a Boltzmann machine and a GAN
# have none)
EARLY_STOPPING = [
    pair for pair in BASE_TRAINED if "early_stopping" in pair[1].make().get_params()
]


@pytest.mark.parametrize(("name", "case"), EARLY_STOPPING, ids=case_ids(EARLY_STOPPING))
def test_early_stopping_ends_a_diverged_fit_with_the_best_weights(name, case):
    """As scikit-learn's MLP: a NaN validation score is recorded and the best
    weights so far are kept, with a warning; diverging before any finite
    validation score is an error."""
    X, y = case.data()
    params = {"early_stopping": True, "validation_fraction": 0.2}
    two_epochs = case.make(**params, max_iter=2).fit(X, y)
    diverged = case.make(**params, max_iter=6, callbacks=[PoisonWeightsAtEpoch(3)])
    with pytest.warns(
        ConvergenceWarning,
        match=rf"{name} training diverged in epoch 3 \(the validation score became "
        r"NaN\); early stopping kept the weights of the epoch with the best",
    ):
        diverged.fit(X, y)
    scores = diverged.validation_scores_
    assert len(scores) == 3 == diverged.n_iter_
    assert isinstance(scores[-1], float) and np.isnan(scores[-1])
    assert diverged.best_validation_score_ == max(scores[:2])
    # the best of the first two epochs, which a 2-epoch fit restores as well
    np.testing.assert_array_equal(output(diverged, X), output(two_epochs, X))

    first = case.make(**params, max_iter=6, callbacks=[PoisonWeightsAtEpoch(1)])
    with pytest.raises(
        DivergenceError,
        match=re.escape(f"{name} training diverged in epoch 1: the training loss"),
    ):
        first.fit(X, y)
    assert not hasattr(first, "net_")


@pytest.mark.parametrize("name", ["RBMTransformer", "DBNTransformer"])
def test_rbm_weights_beyond_the_bound_are_divergence(name):
    """A Gaussian RBM with a huge step grows its weights geometrically: 1e30 is
    finite but beyond sqrt(float32 max), where its energy overflows."""
    case = CASES[name]
    X, _ = case.data()
    estimator = case.make().fit(X)
    before = estimator.transform(X)
    estimator.set_params(visible_units="gaussian", learning_rate=1e3)
    with pytest.raises(
        DivergenceError,
        match=r"RBMTransformer training diverged in epoch \d: (a weight reached "
        r"[\d.e+]+, beyond 1\.8e\+19|the weights became NaN).*Solver produced "
        r"non-finite parameter weights.*Lower learning_rate \(it was 1000\); "
        r"Gaussian visible units .*standardize X",
    ):
        estimator.fit(X)
    np.testing.assert_array_equal(estimator.transform(X), before)


def test_the_weight_bound_is_where_a_product_of_two_weights_overflows():
    from skdl.utils._divergence import PARAMETER_LIMIT, find_divergence

    with np.errstate(over="ignore"):
        assert np.isinf(np.float32(PARAMETER_LIMIT * 1.001) ** 2)
    assert np.isfinite(np.float32(PARAMETER_LIMIT * 0.999) ** 2)
    assert find_divergence([torch.full((2,), PARAMETER_LIMIT * 0.999)]) is None
    beyond = torch.full((2,), PARAMETER_LIMIT * 1.001)
    assert "products of weights overflow float32" in find_divergence([beyond])
    # a float64 model keeps the bound, with the reason that holds for it
    problem = find_divergence([torch.full((2,), 1e30, dtype=torch.float64)])
    assert problem == (
        "a weight reached 1e+30, beyond 1.8e+19, far beyond the weights of any fit "
        "that converges"
    )
    # and a float64 weight beyond float32's range is no "NaN or infinite"
    problem = find_divergence([torch.full((2,), 1e40, dtype=torch.float64)])
    assert problem.startswith("a weight reached 1e+40")
    assert "NaN" in find_divergence([torch.tensor([0.0, float("nan")])])
    assert find_divergence([torch.ones(1)], loss=float("nan")) == (
        "the training loss became nan"
    )


# -- out of memory (raised here on purpose) -------------------------------------------
# what each allocator raises, and what skdl raises instead (the same type, or
# torch's OutOfMemoryError, a RuntimeError, for the CPU allocator's RuntimeError)
OUT_OF_MEMORY = {
    "cuda": (
        torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB."),
        torch.OutOfMemoryError,
        r"PyTorch: CUDA out of memory\. Tried to allocate 2\.00 GiB",
    ),
    "cpu": (
        RuntimeError(
            "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: "
            "can't allocate memory: you tried to allocate 40000000000000 bytes."
        ),
        torch.OutOfMemoryError,
        r"PyTorch: .*DefaultCPUAllocator: can't allocate memory",
    ),
    "numpy": (
        MemoryError("Unable to allocate 29.8 GiB for an array with shape (4, 2)"),
        MemoryError,
        r"NumPy: Unable to allocate 29\.8 GiB",
    ),
}


def raising(error):
    def fail(*args, **kwargs):
        raise error

    return fail


@pytest.mark.parametrize("allocator", list(OUT_OF_MEMORY))
@pytest.mark.parametrize(("name", "case"), BASE_TRAINED, ids=case_ids(BASE_TRAINED))
def test_out_of_memory_in_fit_suggests_a_smaller_batch_size(
    name, case, allocator, monkeypatch
):
    error, raised, original = OUT_OF_MEMORY[allocator]
    X, y = case.data()
    estimator = case.make(warm_start=True).fit(X, y)
    before = output(estimator, X)
    for where in ("train_step", "_validate_X_y"):
        with monkeypatch.context() as patch:
            owner = type(estimator.net_) if where == "train_step" else type(estimator)
            patch.setattr(owner, where, raising(error))
            with pytest.raises(
                raised,
                match=rf"{name} ran out of memory while training \(batch_size=.*"
                r"Lower batch_size.*" + original,
            ):
                estimator.fit(X, y)
        np.testing.assert_array_equal(output(estimator, X), before)


@pytest.mark.parametrize("allocator", list(OUT_OF_MEMORY))
@pytest.mark.parametrize(("name", "case"), BASE_TRAINED, ids=case_ids(BASE_TRAINED))
def test_out_of_memory_in_predict_suggests_fewer_rows(
    name, case, allocator, monkeypatch
):
    error, raised, original = OUT_OF_MEMORY[allocator]
    X, y = case.data()
    estimator = case.make().fit(X, y)
    # a sampler reads no X
    places = ("_threads", "_validate_X")[: 2 if case.reads_X else 1]
    for where in places:
        with monkeypatch.context() as patch:
            patch.setattr(estimator, where, raising(error))
            with pytest.raises(
                raised,
                match=rf"{name} ran out of memory on cpu while predicting in batches "
                r"of up to \d+ rows\. Pass fewer rows per call\. " + original,
            ):
                output(estimator, X)


@pytest.mark.parametrize("allocator", list(OUT_OF_MEMORY))
def test_rbm_out_of_memory_suggests_a_smaller_batch_size(allocator, monkeypatch):
    import skdl.neural_network._rbm as rbm_module

    error, raised, original = OUT_OF_MEMORY[allocator]
    case = CASES["RBMTransformer"]
    X, _ = case.data()
    rbm = case.make().fit(X)
    before = rbm.transform(X)
    with monkeypatch.context() as patch:
        patch.setattr(rbm_module, "_run_epoch", raising(error))
        with pytest.raises(
            raised,
            match=r"RBMTransformer ran out of memory while training \(batch_size=10\)"
            r"\. Lower batch_size or n_components\. " + original,
        ):
            rbm.partial_fit(X)
    np.testing.assert_array_equal(rbm.transform(X), before)
    assert rbm.n_iter_ == 2
    with monkeypatch.context() as patch:
        patch.setattr(rbm_module, "threads_for_steps", raising(error))
        with pytest.raises(
            raised, match=r"while processing chunks of 40 rows\. Pass .*" + original
        ):
            rbm.transform(X)
    with monkeypatch.context() as patch:
        patch.setattr(type(rbm), "_validate", raising(error))
        with pytest.raises(
            raised,
            match=r"RBMTransformer ran out of memory while reading X\. Pass fewer "
            r"rows per call\. " + original,
        ):
            rbm.transform(X)


@pytest.mark.parametrize("allocator", list(OUT_OF_MEMORY))
def test_hopfield_out_of_memory_says_what_to_change(allocator, monkeypatch):
    import skdl.memory._hopfield as hopfield_module

    error, raised, original = OUT_OF_MEMORY[allocator]
    case = CASES["HopfieldNetwork"]
    X, _ = case.data()
    memory = case.make().fit(X)
    before = memory.predict(X)
    with monkeypatch.context() as patch:
        patch.setattr(hopfield_module, "STORAGE_RULES", {"hebbian": raising(error)})
        with pytest.raises(
            raised,
            match=r"HopfieldNetwork ran out of memory while storing the patterns; "
            r"the classic network's coef_ holds n_features \*\* 2 floats\. Use "
            r"fewer features, or kind='dense'.* " + original,
        ):
            case.make().fit(X)
    for where, method, doing in (
        ("classic_recall", "predict", "recalling"),
        ("classic_energy", "energy", "computing the energy of"),
    ):
        with monkeypatch.context() as patch:
            patch.setattr(hopfield_module, where, raising(error))
            with pytest.raises(
                raised,
                match=rf"HopfieldNetwork ran out of memory while {doing} all rows "
                r"at once\. Pass fewer rows per call\. " + original,
            ):
                getattr(memory, method)(X)
    np.testing.assert_array_equal(memory.predict(X), before)


IMAGE_TRANSFORMERS = cases(kinds={"images"}, tasks={"transformer"})


@pytest.mark.parametrize("allocator", list(OUT_OF_MEMORY))
@pytest.mark.parametrize(
    ("name", "case"), IMAGE_TRANSFORMERS, ids=case_ids(IMAGE_TRANSFORMERS)
)
def test_image_transformers_out_of_memory_suggests_fewer_images(
    name, case, allocator, monkeypatch
):
    error, raised, original = OUT_OF_MEMORY[allocator]
    X, _ = case.data()
    transformer = case.make().fit(X)
    monkeypatch.setattr(transformer, "_transform", raising(error))
    with pytest.raises(
        raised,
        match=rf"{name} ran out of memory while transforming images\. Pass fewer "
        r"images per call\. " + original,
    ):
        transformer.transform(X)


def test_other_runtime_errors_are_not_called_out_of_memory():
    from skdl.utils._torch import is_out_of_memory

    assert not is_out_of_memory(RuntimeError("mat1 and mat2 shapes cannot be"))
    assert not is_out_of_memory(ValueError("out of memory"))
    assert is_out_of_memory(RuntimeError("DefaultCPUAllocator: not enough memory"))
    assert is_out_of_memory(RuntimeError("MPS backend out of memory"))


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
    # non-finite weights make every output non-finite, whichever of the module's
    # methods runs (an autoencoder's transform runs its encoder only)
    module = estimator.net_.module_
    saved = {key: value.clone() for key, value in module.state_dict().items()}
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.fill_(math.nan)
    for method in OUTPUT_METHODS:
        if hasattr(estimator, method):
            with pytest.raises(
                ValueError,
                match=rf"{name} computed NaN or infinite outputs for {len(X)} of "
                rf"{len(X)} samples \(the first is row 0\).*Scale X",
            ):
                getattr(estimator, method)(X)
    module.load_state_dict(saved)
    np.testing.assert_array_equal(output(estimator, X), before)
