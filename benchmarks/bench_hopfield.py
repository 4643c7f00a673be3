"""Hopfield networks: recall rate against the number of stored patterns, in one run.

Each stored pattern is corrupted by flipping a share of its units (10%, 20%,
30%), the network recalls from the corrupted copy, and a recall counts when the
final state equals the pattern exactly. Printed for every storage rule of
``HopfieldNetwork`` (asynchronous updates) and for ``kind='dense'`` (beta 1),
against what a user would write instead: the stored pattern nearest in Hamming
distance (scikit-learn's ``NearestNeighbors``), which needs the patterns and a
search, as the dense network does.

- random patterns of N = 200 units, loads p / N from 0.05 to 0.5 (10% flips):
  where each rule stops recalling (Hebb's textbook capacity is 0.138 N);
- the digit sheet that skdl ships, binarized (pixel > 127; 400 units), with 5
  to 500 stored digits, and the recall time of 500 digits.

Run: ``python benchmarks/bench_hopfield.py`` (about three minutes on 2 cores).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import torch
from sklearn.neighbors import NearestNeighbors

from skdl import HopfieldNetwork
from skdl.datasets import load_digit_sheet

MODELS = {
    "hebbian": lambda: HopfieldNetwork("hebbian", random_state=0),
    "storkey": lambda: HopfieldNetwork("storkey", random_state=0),
    "pseudoinverse": lambda: HopfieldNetwork("pseudoinverse", random_state=0),
    "dense (beta=1)": lambda: HopfieldNetwork(kind="dense"),
}


class NearestPattern:
    """The nearest stored pattern in Hamming distance: the non-network baseline."""

    def fit(self, patterns):
        self.patterns_ = patterns
        self.index_ = NearestNeighbors(n_neighbors=1, metric="hamming").fit(patterns)
        return self

    def predict(self, X):
        return self.patterns_[self.index_.kneighbors(X, return_distance=False)[:, 0]]


def flip(patterns, share, rng):
    noisy = patterns.copy()
    n_flips = round(share * patterns.shape[1])
    for row in noisy:
        row[rng.choice(len(row), n_flips, replace=False)] *= -1
    return noisy


def recall_rate(model, patterns, share, seed=1):
    noisy = flip(patterns, share, np.random.RandomState(seed))
    begin = time.perf_counter()
    recalled = model.predict(noisy)
    seconds = time.perf_counter() - begin
    return float((recalled == patterns).all(axis=1).mean()), seconds


def random_patterns():
    n_units = 200
    loads = (0.05, 0.1, 0.138, 0.15, 0.2, 0.3, 0.5)
    print(f"\n== random patterns, {n_units} units, 10% of each flipped: exact recall")
    print(f"{'p / N':16}" + "".join(f"{load:>7}" for load in loads))
    for name, make in {**MODELS, "nearest pattern": NearestPattern}.items():
        rates = []
        for load in loads:
            n_patterns = round(load * n_units)
            patterns = np.random.RandomState(n_patterns).choice(
                [-1, 1], size=(n_patterns, n_units)
            )
            rates.append(recall_rate(make().fit(patterns), patterns, 0.1)[0])
        print(f"{name:16}" + "".join(f"{rate:7.2f}" for rate in rates))


def digits():
    X, _ = load_digit_sheet(return_X_y=True)
    X = np.where(X > 127, 1, -1)
    counts = (5, 10, 20, 50, 100, 200, 500)
    for share in (0.1, 0.2, 0.3):
        print(
            f"\n== binarized digit sheet (400 units), {share:.0%} of each digit "
            "flipped: exact recall (recall s of the last column)"
        )
        print(f"{'stored':16}" + "".join(f"{n:>7}" for n in counts))
        for name, make in {**MODELS, "nearest pattern": NearestPattern}.items():
            rates = []
            for n_patterns in counts:
                patterns = X[
                    np.random.RandomState(0).choice(len(X), n_patterns, replace=False)
                ]
                rate, seconds = recall_rate(make().fit(patterns), patterns, share)
                rates.append(rate)
            cells = "".join(f"{rate:7.2f}" for rate in rates)
            print(f"{name:16}{cells}   ({seconds:.3f} s)")


def main():
    warnings.simplefilter("ignore", UserWarning)  # storing beyond capacity, on purpose
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    random_patterns()
    digits()


if __name__ == "__main__":
    main()
