"""Whole-process cost of a short script: skdl against the nearest scikit-learn one.

Most scikit-learn users run a script that loads a small table, fits one model and
exits; the interpreter's start, the imports and the first fit are what they feel.
Each case below runs as a fresh process, skdl's script and scikit-learn's in turn,
``--repeats`` times; the table gives the medians of

- wall: the whole process, from the parent's ``subprocess`` call to its exit;
- peak MiB: the child's maximum resident memory (``wait4``'s ``ru_maxrss``);
- import s: the script's imports (the library and the data loader);
- fit 1 / fit 2: the first fit of the process, then a second, identical fit of a
  fresh estimator, so that fit 1 - fit 2 is the one-time cost of a first fit.

Every script runs once untimed first, with Python allowed to cache bytecode
(``PYTHONDONTWRITEBYTECODE`` is dropped from the children's environment): a
package installed with pip has its bytecode compiled at install time, and a
source checkout would otherwise compile skdl's 180 modules in every process
(60 ms on 2 cores, which earlier runs of this benchmark counted).

Floors: the interpreter alone, ``import torch`` and ``import torch, sklearn``
are printed first, and each case has a third row, scikit-learn's script with an
``import torch`` added: what a script that uses torch at all costs, and so the
least skdl's script can cost.

Run: ``python benchmarks/bench_startup.py`` (about two minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

# each case: (name, skdl script, scikit-learn script); a script defines
# IMPORTS (run once) and FIT (run twice, timed apart)
_DIGITS = "from sklearn.datasets import load_digits\n"
CASES = {
    "MLP on digits (the issue's script)": (
        (
            _DIGITS + "from skdl import MLPClassifier",
            "X, y = load_digits(return_X_y=True)\n"
            "MLPClassifier((32,), max_iter=50).fit(X, y)",
        ),
        (
            _DIGITS + "from sklearn.neural_network import MLPClassifier",
            "X, y = load_digits(return_X_y=True)\n"
            "MLPClassifier((32,), max_iter=50).fit(X, y)",
        ),
    ),
    "CNN on digit images vs sklearn's MLP": (
        (
            _DIGITS + "from skdl import CNNClassifier",
            "X, y = load_digits(return_X_y=True)\n"
            "CNNClassifier(image_shape=(8, 8), conv_filters=(8,), pool_size=None,"
            " dense_layers=(32,), max_iter=20).fit(X / 16, y)",
        ),
        (
            _DIGITS + "from sklearn.neural_network import MLPClassifier",
            "X, y = load_digits(return_X_y=True)\n"
            "MLPClassifier((32,), max_iter=20).fit(X / 16, y)",
        ),
    ),
    "LSTM on sentences vs TF-IDF + logistic regression": (
        (
            "from skdl.datasets import load_sentiment_sentences\n"
            "from skdl import LSTMTextClassifier",
            "X, y = load_sentiment_sentences(return_X_y=True)\n"
            "LSTMTextClassifier(max_iter=3).fit(X, y)",
        ),
        (
            "from skdl.datasets import load_sentiment_sentences\n"
            "from sklearn.feature_extraction.text import TfidfVectorizer\n"
            "from sklearn.linear_model import LogisticRegression\n"
            "from sklearn.pipeline import make_pipeline",
            "X, y = load_sentiment_sentences(return_X_y=True)\n"
            "make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(X, y)",
        ),
    ),
    "RBM + logistic regression on digits": (
        (
            _DIGITS + "from sklearn.linear_model import LogisticRegression\n"
            "from sklearn.pipeline import make_pipeline\n"
            "from skdl import RBMTransformer",
            "X, y = load_digits(return_X_y=True)\n"
            "make_pipeline(RBMTransformer(64, n_iter=10),"
            " LogisticRegression(max_iter=500)).fit(X / 16, y)",
        ),
        (
            _DIGITS + "from sklearn.linear_model import LogisticRegression\n"
            "from sklearn.pipeline import make_pipeline\n"
            "from sklearn.neural_network import BernoulliRBM",
            "X, y = load_digits(return_X_y=True)\n"
            "make_pipeline(BernoulliRBM(64, n_iter=10),"
            " LogisticRegression(max_iter=500)).fit(X / 16, y)",
        ),
    ),
}

FLOORS = {
    "python -c pass": "",
    "import torch": "import torch",
    "import torch, sklearn": "import torch, sklearn",
}

_TIMED = """
import json, time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
{imports}
t1 = time.perf_counter()
{fit}
t2 = time.perf_counter()
{fit}
t3 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "fit1": t2 - t1, "fit2": t3 - t2}}))
"""


# as a user's environment has it: the bytecode of installed packages cached
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(code: str) -> dict:
    """Run ``code`` in a fresh interpreter: wall s, peak MiB, and what it prints."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=_ENV
    )
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"the script failed:\n{code}")
    result = {"wall": wall, "peak": usage.ru_maxrss / 1024}
    if out.strip():
        result.update(json.loads(out.strip().splitlines()[-1]))
    return result


def medians(runs: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def main(repeats: int) -> None:
    print(f"medians of {repeats} fresh processes, taken in turn\n")
    for skdl_script, sklearn_script in CASES.values():  # untimed: caches bytecode
        for imports, fit in (skdl_script, sklearn_script):
            run(_TIMED.format(imports=imports, fit=fit))
    floors = {name: [] for name in FLOORS}
    for _ in range(repeats):
        for name, code in FLOORS.items():
            floors[name].append(run(code or "pass"))
    for name, runs in floors.items():
        m = medians(runs)
        print(f"{name:28s} wall {m['wall']:6.2f} s   peak {m['peak']:5.0f} MiB")
    header = (
        f"\n{'':28s}{'wall s':>8}{'/sklearn':>9}{'peak MiB':>10}{'/sklearn':>9}"
        f"{'import s':>10}{'fit 1 s':>9}{'fit 2 s':>9}"
    )
    for case, scripts in CASES.items():
        skdl_script, sklearn_script = scripts
        # the floor for skdl: scikit-learn's script that also imports torch
        floor = ("import torch\n" + sklearn_script[0], sklearn_script[1])
        runs = {"skdl": [], "sklearn": [], "sklearn + import torch": []}
        for _ in range(repeats):
            for label, (imports, fit) in zip(
                runs, (skdl_script, sklearn_script, floor), strict=True
            ):
                runs[label].append(run(_TIMED.format(imports=imports, fit=fit)))
        print(f"\n== {case}" + header)
        m = {label: medians(r) for label, r in runs.items()}
        for label, row in m.items():
            base = m["sklearn"]
            print(
                f"{label:28s}{row['wall']:8.2f}{row['wall'] / base['wall']:9.2f}"
                f"{row['peak']:10.0f}{row['peak'] / base['peak']:9.2f}"
                f"{row['import']:10.2f}{row['fit1']:9.3f}{row['fit2']:9.3f}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    main(parser.parse_args().repeats)
