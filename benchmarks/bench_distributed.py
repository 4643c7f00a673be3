"""Data-parallel fit on a 2-worker Dask LocalCluster against one process.

An MLP on synthetic data (37,500 x 100 float32, 5 classes, the teacher task of
``bench_outofcore.py``), 5 epochs, for two batch sizes. Three ways, in one run:

- one process, torch with 1 thread;
- one process, torch with 2 threads;
- ``skdl.parallel.fit_distributed`` on ``LocalCluster(n_workers=2,
  threads_per_worker=1)`` (gloo over loopback), X in 8 Dask blocks; the
  cluster is started outside the timing, as a long-lived cluster would be.

Times are medians of ``--repeats``; accuracy on 12,500 held-out rows. Run:
``python benchmarks/bench_distributed.py [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    root = str(HERE.parent)  # the workers import this checkout's skdl
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [root, os.environ.get("PYTHONPATH")])
    )
    sys.path.insert(0, root)
    import dask.array as da
    from bench_outofcore import teacher_data
    from distributed import Client, LocalCluster
    from sklearn.exceptions import ConvergenceWarning

    from skdl import MLPClassifier
    from skdl.parallel import fit_distributed

    warnings.simplefilter("ignore", ConvergenceWarning)
    # X's blocks travel in the task graph (from_array of an in-memory array)
    warnings.filterwarnings("ignore", message="Sending large graph")
    X, y = teacher_data(37_500, seed=1)
    X_test, y_test = teacher_data(12_500, seed=0)
    blocks = da.from_array(X, chunks=(len(X) // 8, X.shape[1]))
    load_before = os.getloadavg()
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=":0", silence_logs=40
        ) as cluster,
        Client(cluster) as client,
    ):
        print(f"{'run':<36}{'batch':>6}{'fit s':>8}{'speed-up':>9}{'accuracy':>9}")
        for batch_size in (200, 2000):
            params = dict(
                hidden_layer_sizes=(256, 256),
                batch_size=batch_size,
                max_iter=5,
                random_state=0,
            )
            runs = {
                "one process, 1 thread": lambda p=params: MLPClassifier(
                    n_threads=1, **p
                ).fit(X, y),
                "one process, 2 threads": lambda p=params: MLPClassifier(
                    n_threads=2, **p
                ).fit(X, y),
                "fit_distributed, 2 x 1 thread": lambda p=params: fit_distributed(
                    MLPClassifier(**p), blocks, y, client=client
                ),
            }
            base = None
            for name, run in runs.items():
                times = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    model = run()
                    times.append(time.perf_counter() - start)
                seconds = statistics.median(times)
                base = base or seconds
                print(
                    f"{name:<36}{batch_size:>6}{seconds:>8.2f}{base / seconds:>8.2f}x"
                    f"{model.score(X_test, y_test):>9.4f}"
                )
    load_after = os.getloadavg()
    print(
        f"load average (1 min) before {load_before[0]:.2f}, after "
        f"{load_after[0]:.2f}; {os.cpu_count()} cores; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


if __name__ == "__main__":
    main()
