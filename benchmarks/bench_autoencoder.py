"""Autoencoders: skdl's AutoencoderTransformer against PCA, in one run.

PCA is what a scikit-learn user reaches for to compress features. For codes of
k = 2, 8 and 32 units this prints, on held-out rows,

- the mean squared reconstruction error of PCA(k) and of an autoencoder with a
  (width, k) encoder (ReLU hidden layer, linear code, Adam at 0.003, a fixed
  number of epochs), and their fit times (medians of ``--repeats``);
- the accuracy of logistic regression trained on each code, also for a
  denoising autoencoder, (256, k) with masking noise 0.3 (Vincent et al.'s
  features for a classifier), which gives up some reconstruction for codes
  that separate the classes better.

Data: scikit-learn's digits (pixels / 16, 75/25 split; width 128, 300 epochs)
and, with ``--mnist``, the MNIST test set of ``../shared/data/mnist_t10k``
(pixels / 255, the first 8000 images to train, the last 2000 to test; width
128, 30 epochs; the denoising autoencoder 60).

``--pretrain`` adds the measurement of docs/user_guide/rbm.rst for
autoencoders: 300 labelled rows of the nudged digits, a (256,) logistic
MLPClassifier (learning rate 0.01, 300 epochs) started from an autoencoder of
all 7188 training rows (frozen), from one of the 300 labelled rows, or at
random; test accuracy for two seeds.

Run: ``python benchmarks/bench_autoencoder.py [--mnist] [--pretrain] [--seed N]``
(digits about a minute on 2 idle cores; MNIST and pretraining several minutes
each).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from scipy.ndimage import shift
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import minmax_scale

from skdl import AutoencoderTransformer, MLPClassifier

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist_t10k"


def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, test_size=0.25, random_state=0)


def mnist():
    from skdl.datasets._fetchers import _read_idx

    X = (
        _read_idx(MNIST / "t10k-images-idx3-ubyte.gz", "mnist_t10k").reshape(10000, -1)
        / 255.0
    )
    y = _read_idx(MNIST / "t10k-labels-idx1-ubyte.gz", "mnist_t10k").astype(int)
    return X[:8000], X[8000:], y[:8000], y[8000:]


def timed_fit(model, X, repeats):
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        with warnings.catch_warnings():
            # a fixed number of epochs (tol=0), on purpose
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X)
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


def accuracy(encoder, X_train, X_test, y_train, y_test):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier = LogisticRegression(max_iter=3000)
        classifier.fit(encoder.transform(X_train), y_train)
    return classifier.score(encoder.transform(X_test), y_test)


def compare(name, data, width, epochs, denoising_epochs, repeats, seed):
    X_train, X_test = data[:2]
    print(
        f"\n== {name}: {X_train.shape[0]} x {X_train.shape[1]} to train, "
        f"{len(X_test)} held out; autoencoder ({width}, k), {epochs} epochs; "
        f"denoising (256, k), masking 0.3, {denoising_epochs} epochs; "
        f"random_state={seed}"
    )
    print(f"{'k':>3}{'':>2}{'model':14}{'test MSE':>10}{'fit s':>9}{'logreg acc':>12}")
    for k in (2, 8, 32):
        common = {"learning_rate_init": 0.003, "tol": 0, "random_state": seed}
        models = {
            "PCA": PCA(k),
            "autoencoder": AutoencoderTransformer(
                (width, k), max_iter=epochs, **common
            ),
            "denoising": AutoencoderTransformer(
                (256, k),
                noise="masking",
                noise_level=0.3,
                max_iter=denoising_epochs,
                **common,
            ),
        }
        errors, scores = {}, {}
        for label, model in models.items():
            seconds = timed_fit(model, X_train, repeats if label == "PCA" else 1)
            reconstruction = model.inverse_transform(model.transform(X_test))
            errors[label] = float(np.mean((reconstruction - X_test) ** 2))
            scores[label] = accuracy(model, *data)
            print(
                f"{k:3}  {label:14}{errors[label]:10.5f}{seconds:9.2f}"
                f"{scores[label]:12.3f}"
            )
        ratio = errors["autoencoder"] / errors["PCA"]
        verdict = "met" if ratio < 1 else "MISSED"
        print(f"     target: autoencoder error < PCA's: {ratio:.2f}x ({verdict})")
        for label in ("autoencoder", "denoising"):
            gain = scores[label] - scores["PCA"]
            verdict = "met" if gain > 0 else "MISSED"
            print(
                f"     target: logreg on {label} codes > on PCA's: "
                f"{gain:+.3f} ({verdict})"
            )


def nudged_digits():
    X, y = load_digits(return_X_y=True)
    images = X.reshape(-1, 8, 8)
    nudged = [
        shift(images, (0, *offset), mode="constant", order=0)
        for offset in ((-1, 0), (0, -1), (0, 1), (1, 0))
    ]
    X = minmax_scale(np.concatenate([images, *nudged]).reshape(-1, 64))
    return train_test_split(X, np.tile(y, 5), test_size=0.2, random_state=0)


def pretraining():
    X_train, X_test, y_train, y_test = nudged_digits()
    labelled = np.random.RandomState(0).choice(len(X_train), 300, replace=False)
    logistic = {"activation": "logistic", "code_activation": "logistic"}
    variants = {
        "plain": {},
        "denoising (masking 0.3)": {"noise": "masking", "noise_level": 0.3},
        "sparse + denoising": {
            "noise": "masking",
            "noise_level": 0.3,
            "sparsity": 0.05,
            "sparsity_weight": 1.0,
        },
    }
    print("\n== pretraining a (256,) logistic MLP, 300 labelled nudged digits")
    print(f"{'autoencoder':26}{'all rows (frozen)':>20}{'labelled rows':>16}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, extra in variants.items():
            params = {**logistic, **extra}
            stack = AutoencoderTransformer((256,), random_state=0, **params)
            stack.fit(X_train)
            cells = []
            for pretrain in (
                FrozenEstimator(stack),
                AutoencoderTransformer((256,), **params),
            ):
                scores = [
                    MLPClassifier(
                        (256,),
                        activation="logistic",
                        pretrain=pretrain,
                        learning_rate_init=0.01,
                        max_iter=300,
                        random_state=seed,
                    )
                    .fit(X_train[labelled], y_train[labelled])
                    .score(X_test, y_test)
                    for seed in (0, 1)
                ]
                cells.append(f"{min(scores):.3f}-{max(scores):.3f}")
            print(f"{name:26}{cells[0]:>20}{cells[1]:>16}")
        scores = [
            MLPClassifier(
                (256,),
                activation="logistic",
                learning_rate_init=0.01,
                max_iter=300,
                random_state=seed,
            )
            .fit(X_train[labelled], y_train[labelled])
            .score(X_test, y_test)
            for seed in (0, 1)
        ]
    print(f"{'none (random start)':26}{min(scores):.3f}-{max(scores):.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mnist", action="store_true")
    parser.add_argument("--pretrain", action="store_true")
    parser.add_argument("--seed", type=int, default=0, help="the models' random_state")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    compare("digits", digits(), 128, 300, 300, args.repeats, args.seed)
    if args.mnist:
        compare("MNIST test set", mnist(), 128, 30, 60, args.repeats, args.seed)
    if args.pretrain:
        pretraining()


if __name__ == "__main__":
    main()
