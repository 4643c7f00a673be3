"""GANSampler against GaussianMixture: can a classifier tell their samples from
real held-out images? (a classifier two-sample test, C2ST).

For each data set: train on one half, keep the other half as the real sample.
Draw as many generated images, rounded and clipped to the data's pixel grid
(so a classifier cannot win by spotting non-integer pixels), and report the
5-fold cross-validated accuracy of a classifier trained to tell real from
generated: 0.5 means indistinguishable, 1.0 trivially told apart. Two judges:
logistic regression (linear) and a random forest (200 trees). Contenders:
``GaussianMixture(n_components=k).sample()`` (k = 10, 50), the DCGAN-style
``GANSampler`` on both pixel scales (``image_scale='linear'`` and
``'logit'``), each sampled from its generator's last weights and from their
running average (``generator_ema=0.999``; the logit scale with the average is
the default for these images), and conditional ones (both scales from the last
weights, and the defaults), whose samples a logistic regression trained on the
real training images must also label as the classes asked for.

Data: scikit-learn's 8x8 digits (1797) and the MNIST test set (10000 28x28
images from ``../shared/data/mnist_t10k``; skipped without it, or with
``--quick``).

``--rows`` runs the same test on tables instead, with the MLP pair:
scikit-learn's wines (178 x 13) and breast tumours (569 x 30), and the first
6000 rows of UCI's letter recognition (16 integer features, from
``../shared/data/uci_letter_recognition``). The logistic judge standardizes the
features first; integer features are rounded. Contenders: ``GaussianMixture``
(1 and 10 components), ``GANSampler()`` with its defaults, sampled from its
last weights (``generator_ema=None``), and with the rate, length and sampling
of the defaults before 2026-12-05 (``learning_rate_init=2e-4, max_iter=100,
generator_ema=None``; its generator then also had layer normalization), each
over three seeds (the mean, then each seed's score).

Run: ``python benchmarks/bench_gan.py`` (one thread, as the GAN fits are small).
``--device cuda`` trains the GANs on a GPU, ``--max-iter N`` sets every GAN's
epochs, ``--long N`` adds the logit-scale GAN with the weight average trained
for N epochs, ``--only TEXT`` fits only the GANs whose label contains TEXT,
``--mnist-only`` skips the digits, ``--n-jobs`` gives the judges and the
mixtures more threads, ``--save DIR`` writes each sampler's rounded samples
(``DIR/<data set>.npz``), ``--no-judge`` skips the C2ST, and ``--judge FILE``
judges saved samples: fit on a GPU, judge on the CPUs.
"""

from __future__ import annotations

import argparse
import gzip
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skdl import GANSampler

SHARED = Path(__file__).resolve().parents[2] / "shared/data"
MNIST = SHARED / "mnist_t10k"
LETTERS = SHARED / "uci_letter_recognition/letter-recognition.data"


def read_idx(path):
    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    shape = tuple(int(n) for n in np.frombuffer(raw[4 : 4 + 4 * ndim], ">u4"))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def datasets(quick, mnist_only=False):
    if not mnist_only:
        X, y = load_digits(return_X_y=True)
        yield "digits 8x8", X, y, (8, 8), 16.0, {"max_iter": 200, "batch_size": 32}
    if not quick and (MNIST / "t10k-images-idx3-ubyte.gz").is_file():
        images = read_idx(MNIST / "t10k-images-idx3-ubyte.gz").reshape(10000, -1)
        labels = read_idx(MNIST / "t10k-labels-idx1-ubyte.gz")
        params = {"max_iter": 30, "batch_size": 64, "conv_filters": (64, 128)}
        yield "MNIST t10k 28x28", images.astype(float), labels, (28, 28), 255.0, params


def c2st(real, fake, top, judge):
    """``two_sample`` with the images rounded and clipped to the pixel grid."""
    return two_sample(real, np.clip(np.rint(fake), 0, top), judge)


def tables():
    yield "wines", load_wine(return_X_y=True)[0]
    yield "breast tumours", load_breast_cancer(return_X_y=True)[0]
    if LETTERS.is_file():
        columns = range(1, 17)  # the first column is the letter
        rows = np.loadtxt(LETTERS, delimiter=",", usecols=columns, max_rows=6000)
        yield "letters (6000 rows)", rows


def rows_benchmark(n_jobs):
    """The C2ST of samplers of table rows (``--rows``), over three seeds."""

    def mixture(k):
        return lambda X, n, seed: (
            GaussianMixture(k, random_state=seed).fit(X).sample(n)[0]
        )

    def gan(**params):
        return lambda X, n, seed: (
            GANSampler(random_state=seed, **params).fit(X).sample(n, random_state=seed)
        )

    contenders = {
        "GaussianMixture(1)": mixture(1),
        "GaussianMixture(10)": mixture(10),
        "GANSampler() (the defaults)": gan(),
        "GANSampler, last weights": gan(generator_ema=None),
        "GANSampler, rate/length before": gan(
            learning_rate_init=2e-4, max_iter=100, generator_ema=None
        ),
    }
    logreg = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    forest = RandomForestClassifier(200, random_state=0, n_jobs=n_jobs)
    for name, X in tables():
        X_train, X_real = train_test_split(X, test_size=0.5, random_state=0)
        integers = np.all(X == np.rint(X), axis=0)
        print(f"\n== {name}: {len(X_train)} training rows, {len(X_real)} held out")
        print(f"{'sampler':<31}{'C2ST logreg (seeds)':>26}{'C2ST forest (seeds)':>26}")
        for label, draw in contenders.items():
            scores = []
            for seed in range(3):
                fake = draw(X_train, len(X_real), seed)
                fake[:, integers] = np.rint(fake[:, integers])
                scores.append([two_sample(X_real, fake, j) for j in (logreg, forest)])
            scores = np.array(scores)
            cells = [
                f"{s.mean():.3f} ({' '.join(f'{v:.2f}' for v in s)})" for s in scores.T
            ]
            print(f"{label:<31}{cells[0]:>26}{cells[1]:>26}")


def two_sample(real, fake, judge):
    """The judge's cross-validated accuracy at telling ``real`` from ``fake``."""
    Z = np.vstack([real, fake])
    t = np.r_[np.ones(len(real)), np.zeros(len(fake))]
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    return cross_val_score(judge, Z, t, cv=cv).mean()


def judges(n_jobs=1):
    return {
        "logreg": LogisticRegression(max_iter=3000),
        "forest": RandomForestClassifier(200, random_state=0, n_jobs=n_jobs),
    }


def judge_saved(path, n_jobs):
    """The C2ST table of samples saved with ``--save`` (fitted elsewhere)."""
    saved = dict(np.load(path))
    real, top = saved.pop("real"), float(saved.pop("top"))
    print(f"{'sampler':<34}{'C2ST logreg':>12}{'C2ST forest':>12}")
    for label, fake in saved.items():
        scores = [c2st(real, fake, top, judge) for judge in judges(n_jobs).values()]
        print(f"{label:<34}{scores[0]:>12.3f}{scores[1]:>12.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="digits only")
    parser.add_argument("--rows", action="store_true", help="tables, not images")
    parser.add_argument("--only", default="", help="fit the GANs whose label has this")
    parser.add_argument("--mnist-only", action="store_true", help="skip the digits")
    parser.add_argument("--device", default="cpu", help="where the GANs train")
    parser.add_argument("--max-iter", type=int, help="epochs of every GAN")
    parser.add_argument(
        "--long", type=int, metavar="EPOCHS", help="also fit logit + ema this long"
    )
    parser.add_argument("--n-jobs", type=int, default=1, help="judges' threads")
    parser.add_argument("--save", type=Path, help="folder for the samples")
    parser.add_argument("--no-judge", action="store_true", help="fit and save only")
    parser.add_argument("--judge", type=Path, help="judge the samples of this file")
    args = parser.parse_args()
    # on MNIST's raw pixels the linear judge stops at max_iter without
    # converging; its cross-validated accuracy is still what the test reports
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    if args.judge is not None:
        judge_saved(args.judge, args.n_jobs)
        return
    torch.set_num_threads(args.n_jobs)
    threadpool_limits(args.n_jobs)
    if args.rows:
        rows_benchmark(args.n_jobs)
        return
    for name, X, y, shape, top, params in datasets(args.quick, args.mnist_only):
        saved = {}
        X_train, X_real, y_train, y_real = train_test_split(
            X, y, test_size=0.5, random_state=0, stratify=y
        )
        n = len(X_real)
        print(f"\n== {name}: {len(X_train)} training images, {n} real held out")
        print(f"{'sampler':<34}{'C2ST logreg':>12}{'C2ST forest':>12}{'fit s':>8}")

        def report(label, fake, seconds, real=X_real, top=top, saved=saved, name=name):
            if args.save is not None:  # after each sampler, in case a later one fails
                saved[label] = np.clip(np.rint(fake), 0, top).astype(np.uint8)
                args.save.mkdir(parents=True, exist_ok=True)
                path = args.save / f"{name.split()[0]}.npz"
                np.savez_compressed(
                    path, real=real.astype(np.uint8), top=np.array(top), **saved
                )
            if args.no_judge:
                print(f"{label:<34}{'-':>12}{'-':>12}{seconds:>8.0f}")
                return
            judged = judges(args.n_jobs).values()
            scores = [c2st(real, fake, top, judge) for judge in judged]
            print(f"{label:<34}{scores[0]:>12.3f}{scores[1]:>12.3f}{seconds:>8.0f}")

        report("real (training half)", X_train[:n], 0)
        for k in (10, 50):
            start = time.perf_counter()
            gmm = GaussianMixture(k, random_state=0).fit(X_train)
            report(
                f"GaussianMixture({k})", gmm.sample(n)[0], time.perf_counter() - start
            )
        gan_params = {
            "image_shape": shape,
            "learning_rate_init": 1e-3,
            "random_state": 0,
            "n_threads": 1,
            "device": args.device,
            **params,
        }
        if args.max_iter is not None:
            gan_params["max_iter"] = args.max_iter
        # every scale and average explicit, so that a run measures the same
        # GANs whatever the defaults (since 2026-12-05: logit scale for these
        # 8-bit and 17-level images, and the average of image generators)
        linear, logit = {"image_scale": "linear"}, {"image_scale": "logit"}
        last, average = {"generator_ema": None}, {"generator_ema": 0.999}
        variants = {
            "linear, last weights": linear | last,
            "logit, last weights": logit | last,
            "linear, ema=0.999": linear | average,
            "logit, ema=0.999 (the defaults)": logit | average,
            "conditional, linear, last weights": linear | last | {"conditional": True},
            "conditional, logit, last weights": logit | last | {"conditional": True},
            "conditional, logit, ema=0.999": logit | average | {"conditional": True},
        }
        if args.long is not None:
            variants[f"logit, ema=0.999, {args.long} epochs"] = (
                logit | average | {"max_iter": args.long}
            )
        wanted = np.arange(n) % 10
        labelled = {}
        for label, variant in variants.items():
            if args.only not in label:
                continue
            start = time.perf_counter()
            gan = GANSampler(**{**gan_params, **variant})
            if gan.conditional:
                gan.fit(X_train, y_train)
                fake = gan.sample(n, y=wanted, random_state=1)
                labelled[label] = fake
            else:
                fake = gan.fit(X_train).sample(n, random_state=1)
            report(label, fake, time.perf_counter() - start)
        if labelled and not args.no_judge:
            judge = LogisticRegression(max_iter=3000).fit(X_train, y_train)
            right = judge.score(X_real, y_real)
            print(f"real held-out images labelled right: {right:.3f}")
            for label, fake in labelled.items():
                rounded = np.clip(np.rint(fake), 0, top)
                accuracy = np.mean(judge.predict(rounded) == wanted)
                print(f"{label} labelled as asked: {accuracy:.3f}")
        print(f"GAN parameters: {gan_params}")


if __name__ == "__main__":
    main()
