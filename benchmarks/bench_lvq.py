"""GLVQ: skdl vs sklvq vs sklearn-lvq, and prediction vs 1-nearest-neighbour.

One prototype per class (the peers' default), on

- digits (standardized, 75/25 split), and
- make_classification(20000, 50, n_informative=20, n_classes=10), 75/25 split,
  standardized.

Models: skdl ``LVQClassifier`` with its defaults (Adam, sigmoid slope 10) and with
``solver='lbfgs', max_iter=100``; sklvq ``GLVQ`` and sklearn-lvq ``GlvqModel`` with
their defaults; ``KNeighborsClassifier(1)``; ``NearestCentroid`` (the class means
that every GLVQ here starts from, untrained) as a reference. A hand-written torch
loop (same module, cost, optimizer, batches and epochs as skdl's default run) shows
what skdl's skorch training loop costs.

sklvq 0.1.2 and sklearn-lvq 1.1.1 no longer run on current scikit-learn, SciPy and
NumPy; ``install_peer_shims`` below patches them (inside this script only). The
peers run with BLAS held to one thread, their faster setting on 2 cores (sklearn-lvq
is 2.6x faster so); skdl sets its own threads. Prints medians of ``--repeats`` runs
(a single run for fits slower than 5 s) and ratios taken in the same run.

Install the peers in a separate environment::

    pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
    pip install scikit-learn skorch threadpoolctl pandas tqdm
    pip install --no-deps sklvq==0.1.2 sklearn-lvq==1.1.1
    pip install --no-deps -e .

Run: ``python benchmarks/bench_lvq.py`` (about a minute on 2 cores).
``--letters`` instead trains GMLVQ with 3 prototypes per class on UCI letters
(16000/4000, standardized; ``../shared/data``) changing one choice at a time from
the recipe of ``tests/lvq/test_lvq.py``, to show what each choice buys.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import statistics
import time
import types
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier, NearestCentroid
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skdl import LVQClassifier
from skdl.modules import GLVQLoss, LVQModule

SLOW_FIT = 5.0  # seconds: fits slower than this run once


def install_peer_shims() -> dict:
    """Patch sklvq and sklearn-lvq for current libraries; return the peer classes.

    - sklvq calls ``BaseEstimator._validate_data`` (removed in scikit-learn 1.6)
      and ``check_array(force_all_finite=...)`` (renamed ``ensure_all_finite``).
    - sklearn-lvq passes a 2-D ``x0`` to ``scipy.optimize.minimize`` (SciPy now
      wants 1-D) and calls ``np.math.exp`` (``np.math`` is gone from NumPy 2).
    """
    peers = {}
    try:
        import scipy.optimize
        from sklearn.utils.validation import check_array, validate_data
        from sklvq import GLVQ
        from sklvq.models import _base as sklvq_base

        def _validate_data(self, X, y=None, force_all_finite=True, **kwargs):
            kwargs["ensure_all_finite"] = force_all_finite
            if y is None:
                return validate_data(self, X, **kwargs)
            return validate_data(self, X, y, **kwargs)

        def _check_array(X, force_all_finite=True, **kwargs):
            return check_array(X, ensure_all_finite=force_all_finite, **kwargs)

        sklvq_base.LVQBaseClass._validate_data = _validate_data
        sklvq_base.check_array = _check_array
        peers["sklvq GLVQ"] = lambda: GLVQ(random_state=0)
    except ImportError:
        print("sklvq is not installed: skipped")
    try:
        from sklearn_lvq import GlvqModel
        from sklearn_lvq import glvq as sklearn_lvq_glvq

        def _minimize(*args, x0, **kwargs):
            return scipy.optimize.minimize(*args, x0=np.ravel(x0), **kwargs)

        numpy_with_math = types.SimpleNamespace(
            **{name: getattr(np, name) for name in dir(np) if not name[:2] == "__"},
            math=math,
        )
        sklearn_lvq_glvq.minimize = _minimize
        sklearn_lvq_glvq.np = numpy_with_math
        peers["sklearn-lvq GlvqModel"] = lambda: GlvqModel(random_state=0)
    except ImportError:
        print("sklearn-lvq is not installed: skipped")
    return peers


class HandLoop:
    """The minimal torch GLVQ loop: tensors made once, permute-and-slice batches.

    Same start (class means, prototypes in units of each feature's spread), cost,
    fused Adam, batch size, linear schedule and number of epochs as skdl's run.
    """

    def __init__(self, epochs, batch_size=200, lr=0.01):
        self.epochs, self.batch_size, self.lr = epochs, batch_size, lr

    def fit(self, X, y):
        torch.manual_seed(0)
        X = torch.as_tensor(X, dtype=torch.float32)
        y = torch.as_tensor(y)
        labels = torch.arange(int(y.max()) + 1)
        module = LVQModule(X.shape[1], labels)
        with torch.no_grad():
            module.feature_offset.copy_(X.mean(0))
            module.feature_scale.copy_(X.std(0, correction=0).clamp_min(1e-12))
            module.set_prototypes(torch.stack([X[y == c].mean(0) for c in labels]))
        cost = GLVQLoss(labels)
        optimizer = torch.optim.Adam(module.parameters(), lr=self.lr, fused=True)
        generator = torch.Generator().manual_seed(0)
        with threadpool_limits(1):
            for epoch in range(self.epochs):
                for group in optimizer.param_groups:
                    group["lr"] = self.lr * (1 - epoch / self.epochs)
                order = torch.randperm(len(X), generator=generator)
                for start in range(0, len(X), self.batch_size):
                    index = order[start : start + self.batch_size]
                    optimizer.zero_grad()
                    cost(module(X[index]), y[index]).backward()
                    optimizer.step()
        self.module = module
        return self

    def predict(self, X):
        with torch.inference_mode():
            distances = self.module(torch.as_tensor(X, dtype=torch.float32))
        return distances.argmin(1).numpy()


def datasets():
    X, y = load_digits(return_X_y=True)
    X_big, y_big = make_classification(
        20000, 50, n_informative=20, n_classes=10, random_state=0
    )
    for name, (X_, y_) in {"digits": (X, y), "classif20k": (X_big, y_big)}.items():
        X_train, X_test, y_train, y_test = train_test_split(
            X_, y_, test_size=0.25, random_state=0
        )
        scaler = StandardScaler().fit(X_train)
        yield name, scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def stored_floats(model) -> int:
    """Numbers a fitted model keeps to predict (prototypes, metric, or samples)."""
    if isinstance(model, LVQClassifier):
        return model.prototypes_.size
    if isinstance(model, KNeighborsClassifier):
        return model.n_samples_fit_ * model.n_features_in_
    if isinstance(model, NearestCentroid):
        return model.centroids_.size
    return getattr(model, "w_", getattr(model, "prototypes_", np.empty(0))).size


def median_time(function, repeats) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
        if times[0] > SLOW_FIT:
            break
    return statistics.median(times)


def measure(factory, X_train, y_train, X_test, y_test, repeats):
    """The last fitted model, its accuracy, median fit and predict times."""
    fitted = []
    fit_time = median_time(
        lambda: fitted.append(factory().fit(X_train, y_train)), repeats
    )
    model = fitted[-1]
    predict_time = median_time(lambda: model.predict(X_test), repeats)
    accuracy = float(np.mean(model.predict(X_test) == y_test))
    return model, accuracy, fit_time, predict_time


def run(repeats: int) -> None:
    peers = install_peer_shims()
    models = {
        "skdl GLVQ (defaults)": (lambda: LVQClassifier(random_state=0), False),
        "skdl GLVQ (lbfgs, 100 it.)": (
            lambda: LVQClassifier(solver="lbfgs", max_iter=100, random_state=0),
            False,
        ),
        **{name: (factory, True) for name, factory in peers.items()},
        "KNeighborsClassifier(1)": (lambda: KNeighborsClassifier(1), False),
        "NearestCentroid": (NearestCentroid, False),
    }
    for name, X_train, X_test, y_train, y_test in datasets():
        print(f"\n== {name}: train {X_train.shape}, test {X_test.shape}")
        print(
            f"{'model':28s} {'accuracy':>9s} {'fit s':>8s} {'predict ms':>11s} "
            f"{'floats kept':>12s}"
        )
        results = {}
        for label, (factory, hold_blas) in models.items():
            threads = threadpool_limits(1) if hold_blas else contextlib.nullcontext()
            with threads:
                model, *results[label] = measure(
                    factory, X_train, y_train, X_test, y_test, repeats
                )
            accuracy, fit_time, predict_time = results[label]
            print(
                f"{label:28s} {accuracy:9.4f} {fit_time:8.3f} "
                f"{1000 * predict_time:11.2f} {stored_floats(model):12d}"
            )
        report_ratios(results, peers)
        compare_loops(X_train, y_train, repeats)


def compare_loops(X_train, y_train, repeats) -> None:
    """Time skdl's default GLVQ against the hand loop for the same epochs."""
    epochs = LVQClassifier(random_state=0).fit(X_train, y_train).n_iter_
    skdl = LVQClassifier(max_iter=epochs, tol=0, random_state=0)
    skdl_fit = median_time(lambda: clone(skdl).fit(X_train, y_train), repeats)
    hand_fit = median_time(lambda: HandLoop(epochs).fit(X_train, y_train), repeats)
    print(
        f"skdl's training loop / hand-written torch loop ({epochs} epochs): "
        f"{skdl_fit:.3f} s / {hand_fit:.3f} s = {skdl_fit / hand_fit:.2f}x"
    )


def report_ratios(results, peers) -> None:
    knn_predict = results["KNeighborsClassifier(1)"][2]
    best_peer = max((results[p][0] for p in peers), default=math.nan)
    sklvq_fit = results.get("sklvq GLVQ", (math.nan, math.nan))[1]
    for label in ("skdl GLVQ (defaults)", "skdl GLVQ (lbfgs, 100 it.)"):
        accuracy, fit_time, predict_time = results[label]
        print(
            f"{label}: accuracy - best peer = {100 * (accuracy - best_peer):+.1f} "
            f"points (target >= -0.5); fit / sklvq = {fit_time / sklvq_fit:.3f}x "
            f"(target <= 0.25); predict / 1-NN = {predict_time / knn_predict:.3f}x"
        )


LETTERS = (
    Path(__file__).resolve().parents[2]
    / "shared/data/uci_letter_recognition/letter-recognition.data"
)


def letters_ablation() -> None:
    """GMLVQ on UCI letters: one choice changed at a time from the recipe."""
    import pandas as pd

    data = pd.read_csv(LETTERS, header=None)
    X, y = data.iloc[:, 1:].to_numpy(float), data[0].to_numpy()
    scaler = StandardScaler().fit(X[:16000])
    X_train, X_test = scaler.transform(X[:16000]), scaler.transform(X[16000:])
    y_train, y_test = y[:16000], y[16000:]
    recipe = {
        "variant": "gmlvq",
        "prototypes_per_class": 3,
        "prototype_init": "kmeans",
        "beta": 10.0,
        "max_iter": 30,
    }
    changes = {
        "recipe (kmeans, slope 10, 30 epochs)": {},
        "init class_mean": {"prototype_init": "class_mean"},
        "init random": {"prototype_init": "random"},
        "slope 2": {"beta": 2.0},
        "slope 5": {"beta": 5.0},
        "15 epochs": {"max_iter": 15},
        "20 epochs (the test)": {"max_iter": 20},
        "60 epochs": {"max_iter": 60},
        "constant learning rate": {"learning_rate": "constant"},
        "variant glvq (no metric)": {"variant": "glvq"},
        "variant grlvq (relevances)": {"variant": "grlvq"},
        "5 prototypes per class": {"prototypes_per_class": 5},
    }
    print(f"{'GMLVQ on letters':40s} {'test acc':>9s} {'fit s':>7s}")
    for label, change in changes.items():
        start = time.perf_counter()
        model = LVQClassifier(**{**recipe, **change}, random_state=0)
        model.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        accuracy = model.score(X_test, y_test)
        print(f"{label:40s} {accuracy:9.4f} {fit_time:7.2f}")
    knn = KNeighborsClassifier(1).fit(X_train, y_train).score(X_test, y_test)
    print(f"{'KNeighborsClassifier(1)':40s} {knn:9.4f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--letters", action="store_true")
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    # digits has constant pixels: NearestCentroid warns about zero spreads
    warnings.filterwarnings("ignore", message=".*zero standard deviation")
    args = parser.parse_args()
    if args.letters:
        letters_ablation()
    else:
        run(args.repeats)
