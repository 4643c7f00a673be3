"""Same ``random_state``, same result, bit for bit, on the CPU, for every estimator.

Also across processes (``GridSearchCV(n_jobs=2)`` against ``n_jobs=1``), with the
thread count held by ``n_threads=1``: float32 reductions may round differently
with another number of threads (docs/user_guide/reliability.rst lists what is
and is not reproducible). And fitting never moves the global random states of
torch, NumPy or Python's ``random``.
"""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest
import torch
from estimator_cases import CASES, case_ids, cases, outputs
from sklearn.base import is_classifier, is_regressor
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline

import skdl.io

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore:batch_size=.*is larger than"),
]

ALL = sorted(CASES.items())
SEEDED = cases(seeded=True)


def assert_same_outputs(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for method in a:
        np.testing.assert_array_equal(a[method], b[method], err_msg=method)


@pytest.mark.parametrize(("name", "case"), ALL, ids=[n for n, _ in ALL])
def test_same_random_state_gives_bitwise_identical_outputs(name, case):
    X, y = case.data()
    first = outputs(case.make().fit(X, y), X)
    assert_same_outputs(outputs(case.make().fit(X, y), X), first)
    if case.seeded:
        # an int and a RandomState instance seeded alike agree too
        twin = case.make(random_state=np.random.RandomState(3))
        again = case.make(random_state=np.random.RandomState(3))
        assert_same_outputs(outputs(twin.fit(X, y), X), outputs(again.fit(X, y), X))


_GRAD_OFF = {
    "no_grad": torch.no_grad,
    "inference_mode": torch.inference_mode,
    "set_grad_enabled(False)": lambda: torch.set_grad_enabled(False),
}


@pytest.mark.parametrize("mode", sorted(_GRAD_OFF))
@pytest.mark.parametrize(("name", "case"), ALL, ids=[n for n, _ in ALL])
def test_the_callers_grad_mode_changes_nothing(name, case, mode):
    """Fitting inside ``torch.no_grad()`` or ``inference_mode()`` trains the same
    model (it failed with "element 0 of tensors does not require grad"), and
    the caller's mode is back afterwards."""
    X, y = case.data()

    def fitted():
        estimator = case.make().fit(X, y)
        if hasattr(estimator, "partial_fit") and case.task != "classifier":
            estimator.partial_fit(X, y)
        return estimator

    expected = outputs(fitted(), X)
    with _GRAD_OFF[mode]():
        estimator = fitted()
        assert not torch.is_grad_enabled()
    assert_same_outputs(outputs(estimator, X), expected)
    assert torch.is_grad_enabled()


@pytest.fixture()
def default_float64():
    """torch's default float type set to float64, as scientific code may do."""
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(torch.float32)


@pytest.fixture()
def default_meta_device():
    """torch's default device set to one without data: any tensor skdl made on
    the caller's default device (as with torch.set_default_device('cuda'))
    would fail to compute."""
    torch.set_default_device("meta")
    try:
        yield
    finally:
        torch.set_default_device(None)


# each torch default the caller may set, and how to see that it is still set
_TORCH_DEFAULTS = {
    "default_float64": lambda: torch.get_default_dtype() == torch.float64,
    "default_meta_device": lambda: torch.empty(0).device.type == "meta",
}

# public methods beyond outputs(): each must compute on skdl's own defaults too
_MORE_METHODS = (
    "score",
    "perplexity",
    "predict_proba_next",
    "gibbs",
    "reconstruct",
    "free_energy",
    "log_likelihood",
    "recall",
    "energy",
)


@pytest.mark.parametrize("setting", sorted(_TORCH_DEFAULTS))
@pytest.mark.parametrize(("name", "case"), ALL, ids=[n for n, _ in ALL])
def test_torchs_defaults_change_nothing(name, case, setting, tmp_path, request):
    """With ``torch.set_default_dtype(torch.float64)``, fit drew other initial
    weights (or failed: "mat1 and mat2 must have the same dtype"), and
    skdl.io.load refused valid files; after ``torch.set_default_device(...)``,
    skdl made tensors there and failed. Fitting, loading, unpickling and every
    method give what they give by default, and leave the caller's setting."""
    X, y = case.data()
    fitted = case.make().fit(X, y)
    expected = outputs(fitted, X)
    skdl.io.save(fitted, tmp_path / "model.skdl")
    pickled = pickle.dumps(fitted)
    request.getfixturevalue(setting)
    for again in (
        case.make().fit(X, y),
        skdl.io.load(tmp_path / "model.skdl"),
        pickle.loads(pickled),
    ):
        assert_same_outputs(outputs(again, X), expected)
    for method in _MORE_METHODS:
        if hasattr(fitted, method):
            supervised = method == "score" and case.task != "transformer"
            rows = X.round() if method == "log_likelihood" else X  # binary rows
            result = getattr(fitted, method)(*((rows, y) if supervised else (rows,)))
            assert np.isfinite(np.asarray(result, dtype=float)).all(), method
    assert _TORCH_DEFAULTS[setting]()


@pytest.mark.parametrize(("name", "case"), SEEDED, ids=case_ids(SEEDED))
def test_another_random_state_gives_another_model(name, case):
    """The seed is used: without it the bitwise test above could pass vacuously.

    Small batches, so that the seed-derived shuffling matters also for estimators
    whose initialisation is deterministic (LVQ's class means).
    """
    X, y = case.data()
    params = {"batch_size": 8}
    a = outputs(case.make(**params, random_state=0).fit(X, y), X)
    b = outputs(case.make(**params, random_state=1).fit(X, y), X)
    method = next(
        m
        for m in ("predict_proba", "transform", "score_samples", "sample", "predict")
        if m in a
    )
    assert not np.array_equal(a[method], b[method])


FLOAT64 = [
    (name, case) for name, case in SEEDED if "precision" in case.make().get_params()
]


@pytest.mark.parametrize(("name", "case"), FLOAT64, ids=case_ids(FLOAT64))
def test_float64_precision_is_reproducible_and_pickles(name, case):
    """precision='float64': parameters and arithmetic in float64, bit for bit
    reproducible, kept by pickling, and not float32 in disguise."""
    X, y = case.data()
    model = case.make(precision="float64").fit(X, y)
    assert {p.dtype for p in model.net_.module_.parameters()} == {torch.float64}
    model.summary()  # runs its example input in float64 too
    first = outputs(model, X)
    assert_same_outputs(outputs(case.make(precision="float64").fit(X, y), X), first)
    restored = pickle.loads(pickle.dumps(model))
    assert_same_outputs(outputs(restored, X), first)
    single = outputs(case.make(precision="float32").fit(X, y), X)
    method = next(
        m
        for m in ("predict_proba", "transform", "score_samples", "predict")
        if m in first
    )
    assert not np.array_equal(first[method], single[method])


@pytest.mark.parametrize(("name", "case"), FLOAT64, ids=case_ids(FLOAT64))
def test_precision_auto_is_float32_for_float32_input_and_float64_for_any_other(
    name, case
):
    """precision='auto' on the CPU: the same model, bit for bit, as
    precision='float32' on float32 arrays and as precision='float64' on any other
    input (float64 arrays, texts, integer images)."""
    X, y = case.data()
    inputs = [X]
    if isinstance(X, np.ndarray) and X.dtype.kind == "f":
        inputs = [X.astype(np.float32), X.astype(np.float64)]
    for rows in inputs:
        same = "float32" if getattr(rows, "dtype", None) == np.float32 else "float64"
        assert_same_outputs(
            outputs(case.make(precision="auto").fit(rows, y), rows),
            outputs(case.make(precision=same).fit(rows, y), rows),
        )


def _grid(case):
    """A GridSearchCV over two seeds of the case's estimator, on one thread."""
    X, y = case.data()
    estimator = case.make(n_threads=1)
    grid = {"random_state": [0, 1]}
    supervised = is_classifier(estimator) or is_regressor(estimator)
    if not supervised and hasattr(estimator, "transform"):
        # transformers are scored through a classifier on their features
        y = (np.asarray(X).mean(axis=1) > np.median(np.asarray(X).mean(axis=1))).astype(
            int
        )
        estimator = make_pipeline(estimator, LogisticRegression())
        step = estimator.steps[0][0]
        grid = {f"{step}__random_state": [0, 1]}
    # classifiers, regressors and density estimators (language models) score
    # themselves
    return estimator, grid, X, y


# GridSearchCV needs a score: samplers have none
SCORED = [p for p in SEEDED if {"score", "transform"} & set(dir(p[1].make()))]


@pytest.mark.parametrize(("name", "case"), SCORED, ids=case_ids(SCORED))
def test_grid_search_in_two_processes_matches_one(name, case):
    estimator, grid, X, y = _grid(case)
    cv = KFold(2, shuffle=True, random_state=0)
    searches = [
        GridSearchCV(estimator, grid, cv=cv, n_jobs=n_jobs).fit(X, y)
        for n_jobs in (1, 2)
    ]
    one, two = searches
    np.testing.assert_array_equal(
        one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"]
    )
    assert one.best_params_ == two.best_params_
    assert_same_outputs(
        outputs(one.best_estimator_, X), outputs(two.best_estimator_, X)
    )


def _global_states():
    return (
        torch.random.get_rng_state(),
        np.random.get_state()[1].copy(),
        random.getstate(),
    )


@pytest.mark.parametrize(("name", "case"), ALL, ids=[n for n, _ in ALL])
@pytest.mark.parametrize("random_state", [0, None])
def test_fit_and_predict_leave_the_global_random_states_alone(name, case, random_state):
    X, y = case.data()
    params = {"random_state": random_state} if case.seeded else {}
    torch_state, numpy_state, python_state = _global_states()
    estimator = case.make(**params).fit(X, y)
    outputs(estimator, X)
    if hasattr(estimator, "partial_fit") and case.task != "classifier":
        estimator.partial_fit(X, y)
    after = _global_states()
    assert torch.equal(after[0], torch_state)
    np.testing.assert_array_equal(after[1], numpy_state)
    assert after[2] == python_state


def test_seeded_fits_in_threads_of_one_process_reproduce(tmp_path):
    # torch's generator is process-wide: four fits at once drew from each
    # other's stream (with dropout every output differed from a lone fit's);
    # loading a model, which builds its module under a forked generator, must
    # not rewind a fit's stream either
    from concurrent.futures import ThreadPoolExecutor

    from sklearn.datasets import load_digits

    from skdl import MLPClassifier
    from skdl.io import load, save

    X, y = load_digits(return_X_y=True)
    X = X[:600] / 16

    def fit(_):
        model = MLPClassifier((32,), dropout=0.2, max_iter=3, random_state=0)
        return model.fit(X, y[:600]).predict_proba(X[:50])

    alone = fit(None)
    save(MLPClassifier((8,), max_iter=1).fit(X, y[:600]), tmp_path / "m.skdl")
    with ThreadPoolExecutor(4) as pool:
        fits = [pool.submit(fit, i) for i in range(3)]
        loads = [pool.submit(load, tmp_path / "m.skdl") for _ in range(20)]
        outputs_ = [future.result() for future in fits]
        for future in loads:
            future.result()
    for output in outputs_:
        np.testing.assert_array_equal(output, alone)
