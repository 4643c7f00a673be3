"""RBM training: skdl's RBMTransformer vs scikit-learn's BernoulliRBM, in one run.

The setup of scikit-learn's "RBM features for digit classification" example:
digits nudged by one pixel in four directions (5 x 1797 images), min-max scaled
to [0, 1], 80% for training; 256 hidden units, learning rate 0.06, 10 epochs of
persistent contrastive divergence (PCD-1), at batch sizes 10 and 100.

For each batch size this prints the median fit time of ``--repeats`` runs of

- scikit-learn with its BLAS pool as it comes and held to one thread (scikit-learn's
  fastest on a small or busy machine; the ratio uses the faster of the two),
- skdl as it comes (PCD-1 whose negative phase takes the visible units' mean),
  with scikit-learn's exact update (``sample_visible=True``), and with plain
  CD-1 (``persistent=False``),

the ratio of each skdl time to scikit-learn's, and the mean pseudo-likelihood of the
training data under each model (mean over the repeats; relative gap to
scikit-learn's). ``--accuracy`` adds the example's downstream score: logistic
regression (C=6000) on the features of each repeat, its lowest and highest
accuracy on the held-out 20%.

Run: ``python benchmarks/bench_rbm.py`` (about two minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import torch
from scipy.ndimage import shift
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import BernoulliRBM
from sklearn.preprocessing import minmax_scale
from threadpoolctl import threadpool_limits

from skdl import RBMTransformer

PARAMS = {"n_components": 256, "learning_rate": 0.06, "n_iter": 10}


def nudged_digits():
    X, y = load_digits(return_X_y=True)
    images = X.reshape(-1, 8, 8)
    shifted = [
        shift(images, (0, *offset), mode="constant", order=0)
        for offset in ((-1, 0), (0, -1), (0, 1), (1, 0))  # up, left, right, down
    ]
    X = minmax_scale(np.concatenate([images, *shifted]).reshape(-1, 64))
    return train_test_split(X, np.tile(y, 5), test_size=0.2, random_state=0)


def candidates(batch_size, device):
    def sklearn_rbm(seed):
        return BernoulliRBM(batch_size=batch_size, random_state=seed, **PARAMS)

    def skdl_rbm(seed, **extra):
        return RBMTransformer(
            batch_size=batch_size, random_state=seed, device=device, **PARAMS, **extra
        )

    return {
        "sklearn BernoulliRBM": (sklearn_rbm, None),
        "sklearn, BLAS 1 thread": (sklearn_rbm, 1),
        "skdl": (skdl_rbm, None),
        "skdl, sampled visible": (
            lambda seed: skdl_rbm(seed, sample_visible=True),
            None,
        ),
        "skdl CD-1": (lambda seed: skdl_rbm(seed, persistent=False), None),
    }


def run(batch_size, X_train, X_test, y_train, y_test, repeats, device, accuracy):
    times = {}
    scores = {}
    accuracies = {}
    for name, (make, threads) in candidates(batch_size, device).items():
        times[name], scores[name], accuracies[name] = [], [], []
        for seed in range(repeats):
            model = make(seed)
            with threadpool_limits(threads):
                begin = time.perf_counter()
                model.fit(X_train)
                times[name].append(time.perf_counter() - begin)
            scores[name].append(float(np.mean(model.score_samples(X_train))))
            if accuracy:
                with warnings.catch_warnings(), threadpool_limits(1):
                    warnings.simplefilter("ignore")
                    classifier = LogisticRegression(C=6000, max_iter=1000)
                    classifier.fit(model.transform(X_train), y_train)
                accuracies[name].append(
                    classifier.score(model.transform(X_test), y_test)
                )
    reference_time = min(
        statistics.median(times["sklearn BernoulliRBM"]),
        statistics.median(times["sklearn, BLAS 1 thread"]),
    )
    reference_score = statistics.mean(scores["sklearn BernoulliRBM"])
    print(f"\nbatch_size={batch_size}, {len(X_train)} rows, device={device}")
    header = f"{'':24}{'fit (s)':>9}{'ratio':>8}{'pseudo-LL':>11}{'gap':>8}"
    print(header + (f"{'accuracy (min-max)':>20}" if accuracy else ""))
    for name in times:
        median = statistics.median(times[name])
        score = statistics.mean(scores[name])
        gap = (score - reference_score) / abs(reference_score)
        line = (
            f"{name:24}{median:9.3f}{median / reference_time:8.2f}"
            f"{score:11.2f}{gap:+8.1%}"
        )
        if accuracy:
            line += f"{min(accuracies[name]):10.4f}-{max(accuracies[name]):.4f}"
        print(line)
    limit = 0.5 if batch_size == 10 else 0.3
    for name in ("skdl", "skdl, sampled visible"):
        ratio = statistics.median(times[name]) / reference_time
        gap = (statistics.mean(scores[name]) - reference_score) / abs(reference_score)
        verdict = "within 2%" if abs(gap) <= 0.02 else "higher" if gap > 0 else "LOWER"
        print(
            f"target, {name}: fit {ratio:.2f}x (<= {limit}x: "
            f"{'met' if ratio <= limit else 'MISSED'}); pseudo-likelihood {gap:+.1%} "
            f"({verdict})"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--accuracy", action="store_true")
    args = parser.parse_args()
    data = nudged_digits()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for batch_size in (10, 100):
        run(batch_size, *data, args.repeats, args.device, args.accuracy)


if __name__ == "__main__":
    main()
