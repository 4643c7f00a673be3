"""Grid search on a 2-worker Dask LocalCluster vs the same search run serially.

The search: MLPClassifier on the 1797 digits, 8 candidates x 3 folds = 24 fits
of 100 epochs with 128 or 256 hidden units. Four ways, in one run, each the
median of ``--repeats``:

- serial: ``n_jobs=1``, torch with its default threads (every core);
- serial with ``n_threads=1`` (one core, no threading overhead);
- joblib processes: ``n_jobs=2`` (loky gives each worker ``cores // 2`` threads);
- Dask: ``joblib.parallel_backend('dask')`` on ``LocalCluster(n_workers=2,
  threads_per_worker=1)`` over loopback (the cluster is started once, outside the
  timing, as a long-lived cluster would be).

The scores of all three are checked to be identical. Run: ``python
benchmarks/bench_dask.py [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
from joblib import parallel_backend
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skdl import MLPClassifier


def timed(function, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    from distributed import Client, LocalCluster

    X, y = load_digits(return_X_y=True)
    X = X / 16
    search = GridSearchCV(
        MLPClassifier(max_iter=100, random_state=0),
        {"hidden_layer_sizes": [(128,), (256,)], "alpha": [1e-4, 1e-3, 1e-2, 1e-1]},
        cv=3,
    )
    search.fit(X[:200], y[:200])  # one-time imports outside the timings

    serial_s, serial = timed(lambda: clone(search).fit(X, y), args.repeats)
    one_s, one = timed(
        lambda: clone(search).set_params(estimator__n_threads=1).fit(X, y),
        args.repeats,
    )
    loky_s, loky = timed(
        lambda: clone(search).set_params(n_jobs=2).fit(X, y), args.repeats
    )
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster),
    ):

        def on_dask():
            with parallel_backend("dask"):
                return clone(search).set_params(n_jobs=-1).fit(X, y)

        on_dask()  # the workers import torch and skdl once
        dask_s, dask = timed(on_dask, args.repeats)

    scores = serial.cv_results_["mean_test_score"]
    for name, result in (("one thread", one), ("joblib", loky), ("dask", dask)):
        assert np.array_equal(result.cv_results_["mean_test_score"], scores), name
    print(f"24 fits; best score {scores.max():.4f}, identical in all four runs")
    print(f"{'run':<34}{'seconds':>9}{'speed-up':>10}")
    for name, seconds in (
        ("serial (n_jobs=1)", serial_s),
        ("serial, n_threads=1", one_s),
        ("joblib processes (n_jobs=2)", loky_s),
        ("Dask LocalCluster (2 x 1 thread)", dask_s),
    ):
        print(f"{name:<34}{seconds:>9.2f}{serial_s / seconds:>9.2f}x")


if __name__ == "__main__":
    main()
