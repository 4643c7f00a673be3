"""One entry per public skdl estimator: a small fast instance and valid data for it.

The reliability tests (``test_bad_input.py``, ``test_faults.py``,
``test_properties.py``, ``test_reproducibility.py``) run over this registry. A
test in ``test_bad_input.py`` fails when an estimator class in ``skdl.__all__``
has no entry here: a new estimator gets all these tests from one ``Case``.
``make(**params)`` builds the small estimator with ``params`` overriding its
test defaults; ``data()`` returns ``(X, y)`` it trains on (``y`` None for
unsupervised transformers).

``kind`` says what ``X`` is, and so which bad inputs apply:

- ``'tabular'``: a 2-D float array ``(n_samples, n_features)``;
- ``'images'``: ``(n_samples, height, width[, channels])`` arrays;
- ``'sequences'``: ``(n_samples, n_timesteps, n_features)`` float arrays;
- ``'text'``: a list of strings.

:func:`output` and :func:`outputs` call the methods that give an estimator's
result on ``X``, whatever its kind (labels, features, or a language model's
log-likelihoods).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, is_classifier, is_regressor

import skdl
from skdl.utils.discovery import all_estimators


@dataclass(frozen=True)
class Case:
    """How to build a small estimator and data it accepts."""

    make: Callable[..., BaseEstimator]
    data: Callable[[], tuple]
    kind: str
    #: seeded estimators train (and must reproduce bitwise under random_state)
    seeded: bool = True
    #: whether methods of the fitted estimator read X (a sampler's do not)
    reads_X: bool = True

    @property
    def task(self) -> str:
        estimator = self.make()
        if is_classifier(estimator):
            return "classifier"
        return "regressor" if is_regressor(estimator) else "transformer"


def _tabular_classes(n=60, n_features=4, n_classes=3, seed=0):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % n_classes
    centers = rng.normal(scale=3.0, size=(n_classes, n_features))
    X = centers[y] + rng.normal(size=(n, n_features))
    return X.astype(np.float64), y


def _tabular_regression(n=60, n_features=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, n_features))
    return X, X @ rng.normal(size=n_features) + 0.1 * rng.normal(size=n)


def _unit_interval(n=40, n_features=6, seed=0):
    rng = np.random.RandomState(seed)
    return rng.uniform(size=(n, n_features)), None


def _gray_images(n=6, side=16, seed=0):
    rng = np.random.RandomState(seed)
    return rng.uniform(size=(n, side, side)), None


def _labelled_images(n=24, side=8, seed=0):
    """Gray images whose label is whether their left half is brighter."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(size=(n, side, side)).astype(np.float32)
    y = np.arange(n) % 2
    X[y == 1, :, : side // 2] += 1.0
    return X, y


def _valued_images(n=24, side=8, seed=0):
    """Gray images whose target is the brightness of their left half."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(size=(n, side, side)).astype(np.float32)
    y = rng.uniform(size=n)
    X[:, :, : side // 2] += y[:, None, None]
    return X, y


def _rgb_images(n=6, side=8, seed=0):
    rng = np.random.RandomState(seed)
    return rng.randint(0, 256, size=(n, side, side, 3)).astype(np.uint8), None


def _sequences(n=40, steps=6, n_features=2, seed=0, regression=False):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, steps, n_features)).astype(np.float32)
    if regression:
        return X, X[:, :, 0].sum(axis=1)
    return X, (X[:, 0, 0] > X[:, -1, 0]).astype(int)


def _texts(seed=0):
    rng = np.random.RandomState(seed)
    good, bad = ["good", "great", "fine"], ["bad", "awful", "poor"]
    docs, labels = [], []
    for i in range(30):
        words = good if i % 2 else bad
        docs.append(" ".join(rng.choice([*words, "the", "film"], size=4)))
        labels.append(["neg", "pos"][i % 2])
    return docs, np.array(labels)


def _corpus():
    return _texts()[0], None


_MLP = {"hidden_layer_sizes": (5,), "max_iter": 3, "random_state": 0}
_RNN = {"hidden_size": 4, "max_iter": 2, "random_state": 0}

CASES: dict[str, Case] = {
    "MLPClassifier": Case(
        lambda **p: skdl.MLPClassifier(**{**_MLP, **p}), _tabular_classes, "tabular"
    ),
    "MLPRegressor": Case(
        lambda **p: skdl.MLPRegressor(**{**_MLP, **p}), _tabular_regression, "tabular"
    ),
    "LVQClassifier": Case(
        lambda **p: skdl.LVQClassifier(**{"max_iter": 3, "random_state": 0, **p}),
        _tabular_classes,
        "tabular",
    ),
    "RBMTransformer": Case(
        lambda **p: skdl.RBMTransformer(
            **{"n_components": 3, "n_iter": 2, "random_state": 0, **p}
        ),
        _unit_interval,
        "tabular",
    ),
    "DBNTransformer": Case(
        lambda **p: skdl.DBNTransformer(
            **{"hidden_layer_sizes": (4, 3), "n_iter": 2, "random_state": 0, **p}
        ),
        _unit_interval,
        "tabular",
    ),
    "AutoencoderTransformer": Case(
        lambda **p: skdl.AutoencoderTransformer(
            **{"hidden_layer_sizes": (4, 2), "max_iter": 3, "random_state": 0, **p}
        ),
        _unit_interval,
        "tabular",
    ),
    # recall is deterministic under random_state (its only randomness is the
    # order of asynchronous updates), and storing patterns has no seed to vary:
    # tests/memory/test_hopfield.py checks the orders
    "BoltzmannMachine": Case(
        lambda **p: skdl.BoltzmannMachine(
            **{"n_components": 3, "n_chains": 10, "max_iter": 3, "random_state": 0, **p}
        ),
        _unit_interval,
        "tabular",
    ),
    "HopfieldNetwork": Case(
        lambda **p: skdl.HopfieldNetwork(
            **{"threshold": 0.5, "max_iter": 20, "random_state": 0, **p}
        ),
        _unit_interval,
        "tabular",
        seeded=False,
    ),
    "LSTMClassifier": Case(
        lambda **p: skdl.LSTMClassifier(**{**_RNN, **p}), _sequences, "sequences"
    ),
    "LSTMRegressor": Case(
        lambda **p: skdl.LSTMRegressor(**{**_RNN, **p}),
        lambda: _sequences(regression=True),
        "sequences",
    ),
    "LSTMTextClassifier": Case(
        lambda **p: skdl.LSTMTextClassifier(
            **{**_RNN, "embedding_dim": 4, "batch_size": 8, **p}
        ),
        _texts,
        "text",
    ),
    "NGramLanguageModel": Case(
        lambda **p: skdl.NGramLanguageModel(**p), _corpus, "text", seeded=False
    ),
    "LSTMLanguageModel": Case(
        lambda **p: skdl.LSTMLanguageModel(
            **{
                **_RNN,
                "embedding_dim": 4,
                "batch_size": 8,
                "early_stopping": False,
                **p,
            }
        ),
        _corpus,
        "text",
    ),
    "GANSampler": Case(
        lambda **p: skdl.GANSampler(
            **{"noise_dim": 3, "hidden_layer_sizes": (8,), "batch_size": 16}
            | {"max_iter": 2, "random_state": 0, **p}
        ),
        lambda: (_tabular_classes()[0], None),
        "tabular",
        reads_X=False,
    ),
    "CNNClassifier": Case(
        lambda **p: skdl.CNNClassifier(
            **{
                "conv_filters": (2,),
                "dense_layers": (),
                "batch_size": 8,
                "max_iter": 2,
                "random_state": 0,
                **p,
            }
        ),
        _labelled_images,
        "images",
    ),
    "CNNRegressor": Case(
        lambda **p: skdl.CNNRegressor(
            **{
                "conv_filters": (2,),
                "dense_layers": (),
                "batch_size": 8,
                "max_iter": 2,
                "random_state": 0,
                **p,
            }
        ),
        _valued_images,
        "images",
    ),
    "HOGTransformer": Case(
        lambda **p: skdl.HOGTransformer(
            **{"pixels_per_cell": 4, "cells_per_block": 2, **p}
        ),
        _gray_images,
        "images",
        seeded=False,
    ),
    "ColorHistogramTransformer": Case(
        lambda **p: skdl.ColorHistogramTransformer(**{"bins": 4, **p}),
        _rgb_images,
        "images",
        seeded=False,
    ),
    "ImageResizer": Case(
        lambda **p: skdl.ImageResizer(**{"size": (5, 7), **p}),
        _gray_images,
        "images",
        seeded=False,
    ),
    "GrayscaleConverter": Case(
        lambda **p: skdl.GrayscaleConverter(**p), _rgb_images, "images", seeded=False
    ),
    "ImageDeskewer": Case(
        lambda **p: skdl.ImageDeskewer(**p), _gray_images, "images", seeded=False
    ),
}

#: the methods that return an estimator's result on X
OUTPUT_METHODS = (
    "predict",
    "predict_proba",
    "decision_function",
    "transform",
    "score_samples",
    "predict_proba_next",
)


def outputs(estimator, X) -> dict:
    """Every output method's result on ``X``."""
    methods = [m for m in OUTPUT_METHODS if hasattr(estimator, m)]
    results = {m: getattr(estimator, m)(X) for m in methods}
    if hasattr(estimator, "sample"):
        results["sample"] = estimator.sample(len(X), random_state=0)
    return results


def output(estimator, X):
    """The estimator's main result on ``X``: labels or predictions, features,
    (language models) the log-likelihood of each text, or (samplers, which
    read no X) ``len(X)`` samples drawn with ``random_state=0``."""
    for method in ("predict", "transform", "score_samples"):
        if hasattr(estimator, method):
            return getattr(estimator, method)(X)
    return estimator.sample(len(X), random_state=0)


# what tests/test_common.py checks: every estimator class in skdl.__all__
PUBLIC_ESTIMATORS = [name for name, _ in all_estimators()]


def cases(*, kinds=None, tasks=None, seeded=None) -> list:
    """``pytest.param``-ready ``(name, case)`` pairs, filtered."""
    return [
        (name, case)
        for name, case in sorted(CASES.items())
        if (kinds is None or case.kind in kinds)
        and (tasks is None or case.task in tasks)
        and (seeded is None or case.seeded == seeded)
    ]


def case_ids(pairs) -> list[str]:
    return [name for name, _ in pairs]
