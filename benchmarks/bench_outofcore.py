"""Out-of-core fit: X three times larger than the memory a process may use.

A synthetic classification task (standard normal features, labels from a
random two-layer teacher network with 5% label noise) is written to disk as
``.npy`` blocks. Each training run is a subprocess that imports skdl, trains a
tiny warm-up model, and then limits its own address space
(``resource.setrlimit(RLIMIT_AS)``) to what it uses at that point plus
``--limit-mb``; X on disk is three times ``--limit-mb``. Three runs, one after
the other:

- out-of-core: ``MLPClassifier.fit(RowBlocks(paths), y)`` under the limit (the
  run first checks that an array of X's size cannot be allocated under it);
- in-memory subsample: the first blocks that fill half the limit (the rest
  is for the training state and the read), loaded and fitted in memory under
  the same limit, for proportionally more epochs (about the same number of
  optimizer steps): what a user without out-of-core training would do;
- in-memory, no limit: the whole X loaded and fitted as usual (this machine has
  the memory), the reference for accuracy and throughput.

Every run uses the same model, batch size, seed and number of optimizer steps,
and is scored on the same 50,000 held-out rows. Peak RSS is the child's
``ru_maxrss`` (and, ``+fit``, its growth over the warmed-up process);
throughput is training rows per second of ``fit`` (rows x epochs / seconds).
The files are read through the page cache: just written, they are in memory
outside the process (a cold disk is not measured here). Target: the
out-of-core fit's accuracy within 0.5 point of the unlimited in-memory fit.

Run: ``python benchmarks/bench_outofcore.py [--limit-mb 320] [--epochs 2]``
(about two minutes on 2 cores; the data, about 1 GB, goes to a temporary
folder unless ``--data-dir`` is given).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_FEATURES = 100
N_CLASSES = 5
N_TEST = 50_000
BLOCK_ROWS = 50_000


def teacher_data(n_rows: int, seed: int):
    import numpy as np

    teacher = np.random.default_rng(0)
    w1 = teacher.standard_normal((N_FEATURES, 32)).astype(np.float32) / 10**0.5 / 3
    w2 = teacher.standard_normal((32, N_CLASSES)).astype(np.float32)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, N_FEATURES), dtype=np.float32)
    y = np.argmax(np.tanh(X @ w1) @ w2, axis=1)
    flip = rng.random(n_rows) < 0.05
    y[flip] = rng.integers(0, N_CLASSES, flip.sum())
    return X, y


def write_data(folder: Path, n_rows: int) -> None:
    import numpy as np

    ys = []
    for i, start in enumerate(range(0, n_rows, BLOCK_ROWS)):
        X, y = teacher_data(min(BLOCK_ROWS, n_rows - start), seed=1 + i)
        np.save(folder / f"X{i:04d}.npy", X)
        ys.append(y)
    np.save(folder / "y.npy", np.concatenate(ys))
    X, y = teacher_data(N_TEST, seed=0)
    np.save(folder / "X_test.npy", X)
    np.save(folder / "y_test.npy", y)


def virtual_mb() -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmSize:\s+(\d+)", status).group(1)) // 1024


def child(args) -> None:
    """One training run; prints one JSON line."""
    import resource
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning

    from skdl import MLPClassifier
    from skdl.parallel import RowBlocks

    warnings.simplefilter("ignore", ConvergenceWarning)
    folder = Path(args.data_dir)
    paths = sorted(folder.glob("X[0-9]*.npy"))
    y = np.load(folder / "y.npy")
    X_test, y_test = np.load(folder / "X_test.npy"), np.load(folder / "y_test.npy")
    params = dict(
        hidden_layer_sizes=(64,),
        batch_size=500,
        random_state=0,
        learning_rate_init=1e-3,
    )
    # warm-up: torch's threads, allocator and lazy imports take their space now
    MLPClassifier(max_iter=1, **params).fit(X_test[:2000], y_test[:2000])
    result = {
        "mode": args.mode,
        "rows": len(y),
        "virtual_mb_before": virtual_mb(),
        "rss_mb_before": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }
    if args.limit_mb:
        limit = (virtual_mb() + args.limit_mb) * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        result["limit_mb"] = args.limit_mb
        x_bytes = len(y) * N_FEATURES * 4
        try:
            np.ones(x_bytes, dtype=np.uint8)
            result["full_x_fits"] = True
        except MemoryError:
            result["full_x_fits"] = False
    epochs = args.epochs
    if args.mode == "outofcore":
        X = RowBlocks([str(p) for p in paths])
    elif args.mode == "subsample":  # as many blocks as half the limit holds
        block_mb = BLOCK_ROWS * N_FEATURES * 4 / 2**20
        keep = paths[: max(1, int(args.limit_mb / 2 / block_mb))]
        n_keep = sum(len(np.load(p, mmap_mode="r")) for p in keep)
        X = np.empty((n_keep, N_FEATURES), dtype=np.float32)
        start = 0
        for p in keep:  # filled in place: no second copy under the limit
            block = np.load(p, mmap_mode="r")
            X[start : start + len(block)] = block
            start += len(block)
        y = y[: len(X)]
        epochs = round(args.epochs * len(paths) / len(keep))
    else:
        X = np.concatenate([np.load(p) for p in paths])
    model = MLPClassifier(max_iter=epochs, **params)
    start = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - start
    result.update(
        train_rows=len(y),
        epochs=epochs,
        fit_s=round(seconds, 2),
        rows_per_s=round(len(y) * epochs / seconds),
        accuracy=round(float(model.score(X_test, y_test)), 4),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    )
    print(json.dumps(result))


def run_child(mode: str, data_dir: str, limit_mb: int, epochs: int) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--data-dir",
        data_dir,
        "--limit-mb",
        str(limit_mb),
        "--epochs",
        str(epochs),
    ]
    # the skdl of this checkout, whatever the environment has installed
    root = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if out.returncode:
        raise RuntimeError(f"{mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit-mb", type=int, default=320)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.mode = args.child
        child(args)
        return
    load_before = os.getloadavg()
    n_rows = 3 * args.limit_mb * 2**20 // (4 * N_FEATURES)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.data_dir or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "y.npy").exists():
            start = time.perf_counter()
            write_data(folder, n_rows)
            print(
                f"wrote {n_rows} x {N_FEATURES} float32 in {BLOCK_ROWS}-row .npy "
                f"blocks ({n_rows * N_FEATURES * 4 / 2**20:.0f} MB) in "
                f"{time.perf_counter() - start:.1f} s"
            )
        runs = [
            run_child("outofcore", str(folder), args.limit_mb, args.epochs),
            run_child("subsample", str(folder), args.limit_mb, args.epochs),
            run_child("inmemory", str(folder), 0, args.epochs),
        ]
    load_after = os.getloadavg()
    print(
        f"\nX: {runs[0]['rows']} rows ({runs[0]['rows'] * N_FEATURES * 4 / 2**20:.0f}"
        f" MB); address-space limit: +{args.limit_mb} MB over the "
        f"{runs[0]['virtual_mb_before']} MB of a process with torch and skdl loaded; "
        f"an array of X's size under that limit: "
        f"{'fits' if runs[0]['full_x_fits'] else 'MemoryError'}"
    )
    reference = runs[2]
    print(
        f"{'run':<34}{'rows':>9}{'epochs':>7}{'fit s':>8}{'rows/s':>10}"
        f"{'/in-mem':>8}{'peak RSS MB':>12}{'(+fit)':>8}{'accuracy':>9}"
    )
    names = {
        "outofcore": "out-of-core (limited)",
        "subsample": "in-memory subsample (limited)",
        "inmemory": "in-memory, all rows (no limit)",
    }
    for run in runs:
        print(
            f"{names[run['mode']]:<34}{run['train_rows']:>9}{run['epochs']:>7}"
            f"{run['fit_s']:>8.1f}{run['rows_per_s']:>10}"
            f"{run['rows_per_s'] / reference['rows_per_s']:>8.2f}"
            f"{run['peak_rss_mb']:>12}{run['peak_rss_mb'] - run['rss_mb_before']:>8}"
            f"{run['accuracy']:>9.4f}"
        )
    gap = abs(runs[0]["accuracy"] - reference["accuracy"]) * 100
    print(
        f"\nout-of-core vs in-memory accuracy: {gap:.2f} points (target <= 0.5): "
        f"{'met' if gap <= 0.5 else 'MISSED'}"
    )
    print(
        f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f};"
        f" {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


if __name__ == "__main__":
    main()
