"""Boltzmann machines: skdl's BoltzmannMachine against RBMs, in one run.

The restricted machine is what replaced the general one, and scikit-learn's
``BernoulliRBM`` is what a user would run instead. Printed:

1. Small problems, exact log-likelihoods by enumeration (nats per row):
   3x3 bars and stripes (14 patterns, 9 pixels; the best possible is
   log(1/14) = -2.64) with 4 hidden units, and 2000 samples of a random RBM
   with 6 visible and 3 hidden units (the source's own log-likelihood is the
   ceiling). BoltzmannMachine (SGD at 0.01, momentum 0.9; 300 and 120 epochs)
   against RBMTransformer with a true Gibbs chain (``sample_visible=True``),
   RBMTransformer as it comes and BernoulliRBM (1000 and 60 epochs).
2. Digits (1797 x 64, pixels / 16, 75/25 split), 64 hidden units, 10 epochs:
   fit time, time per update (the machine at batch size 100, the RBMs at their
   default of 10 and RBMTransformer also at 100), and the held-out
   accuracy of logistic regression (C=100) on the hidden probabilities
   (``transform``), for BoltzmannMachine, RBMTransformer and BernoulliRBM.

Run: ``python benchmarks/bench_boltzmann.py`` (two to three minutes on 2 cores).
"""

from __future__ import annotations

import itertools
import time
import warnings

import numpy as np
import torch
from scipy.special import logsumexp
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import BernoulliRBM

from skdl import BoltzmannMachine, RBMTransformer


def bars_and_stripes(side=3):
    rows = []
    for bits in itertools.product([0, 1], repeat=side):
        image = np.repeat(np.array(bits)[:, None], side, axis=1)
        rows += [image.ravel(), image.T.ravel()]
    return np.unique(np.array(rows, dtype=float), axis=0)


def states(n):
    return np.array(list(itertools.product([0, 1], repeat=n)), dtype=float)


def rbm_log_likelihood(weight, hidden_bias, visible_bias, X):
    """Exact log P(v) of an RBM, by its free energy over every visible state."""

    def free_energy(V):
        return -(V @ visible_bias) - np.logaddexp(0, V @ weight.T + hidden_bias).sum(1)

    return -free_energy(X) - logsumexp(-free_energy(states(X.shape[1])))


def exact(model, X):
    if isinstance(model, BoltzmannMachine):
        return float(model.log_likelihood(X).mean())
    return float(
        rbm_log_likelihood(
            model.components_.astype(float),
            model.intercept_hidden_.astype(float),
            model.intercept_visible_.astype(float),
            X,
        ).mean()
    )


def small_problems():
    rng = np.random.RandomState(0)
    weight = rng.normal(0, 2.0, (3, 6))
    hidden_bias, visible_bias = rng.normal(0, 1, 3), rng.normal(0, 1, 6)
    all6 = states(6)
    p = np.exp(rbm_log_likelihood(weight, hidden_bias, visible_bias, all6))
    rbm_data = all6[rng.choice(64, 2000, p=p)]
    source = float(
        rbm_log_likelihood(weight, hidden_bias, visible_bias, rbm_data).mean()
    )
    patterns = bars_and_stripes()
    problems = {
        # name: training rows, scored rows, hidden units, epochs of the machine,
        # epochs and learning rate of the RBMs
        "bars and stripes 3x3, 4 hidden": (
            np.tile(patterns, (30, 1)),
            patterns,
            4,
            300,
            (1000, 0.05),
        ),
        "RBM data, 6 visible + 3 hidden": (rbm_data, rbm_data, 3, 120, (60, 0.02)),
    }
    print("\n== exact log-likelihood (nats per row) and fit time")
    print(
        f"   optimum: bars and stripes {np.log(1 / 14):.3f}, RBM data (the "
        f"source's) {source:.3f}"
    )
    for problem, (X, X_score, hidden, epochs, (n_iter, rate)) in problems.items():
        rbm = {"n_iter": n_iter, "learning_rate": rate, "random_state": 0}
        candidates = {
            f"BoltzmannMachine, {epochs} epochs": BoltzmannMachine(
                hidden, max_iter=epochs, random_state=0
            ),
            f"RBMTransformer sampled v, {n_iter} ep.": RBMTransformer(
                hidden, sample_visible=True, **rbm
            ),
            f"RBMTransformer default, {n_iter} ep.": RBMTransformer(hidden, **rbm),
            f"BernoulliRBM, {n_iter} ep.": BernoulliRBM(hidden, **rbm),
        }
        print(f"\n{problem} (RBMs: learning rate {rate})")
        for name, model in candidates.items():
            begin = time.perf_counter()
            model.fit(X)
            seconds = time.perf_counter() - begin
            print(f"  {name:40}{exact(model, X_score):9.3f}{seconds:8.2f} s")


def digits(epochs=10):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16, y, test_size=0.25, random_state=0
    )
    candidates = {
        "BoltzmannMachine": BoltzmannMachine(
            64, batch_size=100, max_iter=epochs, random_state=0
        ),
        "RBMTransformer": RBMTransformer(
            64, learning_rate=0.06, n_iter=epochs, random_state=0
        ),
        "RBMTransformer, 100": RBMTransformer(
            64, learning_rate=0.06, batch_size=100, n_iter=epochs, random_state=0
        ),
        "BernoulliRBM": BernoulliRBM(
            64, learning_rate=0.06, n_iter=epochs, random_state=0
        ),
    }
    print(f"\n== digits, 64 hidden units, {epochs} epochs")
    print(f"{'':20}{'batch':>6}{'fit s':>8}{'ms/update':>11}{'logreg acc':>12}")
    per_update = {}
    for name, model in candidates.items():
        batch_size = model.get_params()["batch_size"]
        begin = time.perf_counter()
        model.fit(X_train)
        seconds = time.perf_counter() - begin
        per_update[name] = seconds / (epochs * -(-len(X_train) // batch_size))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            classifier = LogisticRegression(C=100, max_iter=3000)
            classifier.fit(model.transform(X_train), y_train)
        score = classifier.score(model.transform(X_test), y_test)
        print(
            f"{name:20}{batch_size:6}{seconds:8.2f}{1000 * per_update[name]:11.3f}"
            f"{score:12.3f}"
        )
    ratio = per_update["BoltzmannMachine"] / per_update["RBMTransformer, 100"]
    print(
        f"an update of BoltzmannMachine takes {ratio:.0f}x RBMTransformer's, "
        "on batches of 100 rows"
    )


def main():
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    small_problems()
    digits()


if __name__ == "__main__":
    main()
