"""Every warning of skdl names the user's line that called skdl, as scikit-learn's do.

Each warning is triggered here from each public entry point that reaches it
(``fit``, ``partial_fit``, ``predict``, ``transform``, ``skdl.io.load``, a
fetcher...), called from this file: the warning's ``filename`` must be this
file, never one of skdl, scikit-learn, skorch or torch, however deep the call
went inside them (``_fit_context``, mixins, ``partial_fit``, a Pipeline).
Not here: ``skdl.parallel.fit_distributed``, which raises its workers' warnings
again with the same helper, and needs a cluster of processes to run.
"""

import contextlib
import hashlib
import io
import pickle
import re
import warnings

import numpy as np
import pytest
import torch
from estimator_cases import CASES
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback

import skdl.io
from skdl import (
    GANSampler,
    HOGTransformer,
    HopfieldNetwork,
    LVQClassifier,
    RBMTransformer,
)
from skdl.augmentation import ImageAugmenter
from skdl.base import BaseTorchEstimator
from skdl.callbacks import StopTraining
from skdl.datasets import _download, _fetchers, fetch_mnist
from skdl.feature_extraction import color_histogram, hog
from skdl.utils import check_images

# a device that neither a CPU nor a CUDA machine has
ABSENT_DEVICE = "mps"
absent_device = pytest.mark.skipif(
    torch.backends.mps.is_available(), reason="this machine has the 'absent' device"
)


@contextlib.contextmanager
def warns_here(category, match):
    """Record the block's warnings: at least one ``category`` matching ``match``,
    and every such warning naming a line of this file."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    caught_messages = [str(w.message) for w in caught]
    hits = [
        w
        for w in caught
        if issubclass(w.category, category) and re.search(match, str(w.message))
    ]
    assert hits, f"no {category.__name__} matching {match!r} among {caught_messages}"
    places = {f"{w.filename}:{w.lineno}" for w in hits if w.filename != __file__}
    assert not places, f"the warning names {sorted(places)}, not the caller's line"


def quiet_fit(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(*args, **kwargs)


def fit_args(name):
    X, y = CASES[name].data()
    return (X,) if y is None else (X, y)


def partial_fit_kwargs(name):
    _, y = CASES[name].data()
    return {"classes": np.unique(y)} if CASES[name].task == "classifier" else {}


TORCH = [n for n in sorted(CASES) if isinstance(CASES[n].make(), BaseTorchEstimator)]
FIT_METHODS = [
    (name, method)
    for name in TORCH
    for method in ("fit", "partial_fit")
    if hasattr(CASES[name].make(), method)
]
PRECISION = [n for n in TORCH if "precision" in CASES[n].make().get_params()]
EARLY_STOPPING = [n for n in TORCH if "early_stopping" in CASES[n].make().get_params()]
# a GAN trains for max_iter epochs by design; the Boltzmann machine's sampled
# gradient has no loss to converge on
CONVERGING = [n for n in TORCH if n not in ("GANSampler", "BoltzmannMachine")]


# -- the base class's warnings, shared by every PyTorch estimator --------------------
@pytest.mark.parametrize("name, method", FIT_METHODS)
def test_batch_size_larger_than_the_data(name, method):
    estimator = CASES[name].make(batch_size=1000)
    kwargs = partial_fit_kwargs(name) if method == "partial_fit" else {}
    with warns_here(UserWarning, "batch_size=1000 is larger than"):
        getattr(estimator, method)(*fit_args(name), **kwargs)


def test_batch_size_through_scikit_learn_meta_estimators():
    X, y = fit_args("MLPClassifier")
    estimator = CASES["MLPClassifier"].make(batch_size=1000)
    with warns_here(UserWarning, "batch_size=1000 is larger than"):
        make_pipeline(estimator).fit(X, y)
    with warns_here(UserWarning, "batch_size=1000 is larger than"):
        cross_val_score(estimator, X, y, cv=2)


@pytest.mark.parametrize("name, method", [p for p in FIT_METHODS if p[0] in PRECISION])
def test_mixed_precision_off_cuda(name, method):
    estimator = CASES[name].make(precision="bfloat16", device="cpu")
    kwargs = partial_fit_kwargs(name) if method == "partial_fit" else {}
    with warns_here(UserWarning, r"mixed precision\) runs on CUDA devices only"):
        getattr(estimator, method)(*fit_args(name), **kwargs)


def test_mixed_precision_off_cuda_on_load(tmp_path):
    estimator = CASES["MLPClassifier"].make(precision="bfloat16", device="cpu")
    skdl.io.save(quiet_fit(estimator, *fit_args("MLPClassifier")), tmp_path / "m")
    with warns_here(UserWarning, r"mixed precision\) runs on CUDA devices only"):
        skdl.io.load(tmp_path / "m")


@pytest.mark.parametrize("name", CONVERGING)
def test_max_iter_reached(name):
    estimator = CASES[name].make(max_iter=1)
    with warns_here(ConvergenceWarning, r"maximum number of epochs \(max_iter=1\)"):
        estimator.fit(*fit_args(name))
    estimator.set_params(warm_start=True)
    with warns_here(ConvergenceWarning, r"maximum number of epochs \(max_iter=1\)"):
        estimator.fit(*fit_args(name))


class _Interrupt(Callback):
    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 2:
            raise KeyboardInterrupt


class _Budget(Callback):
    def on_epoch_end(self, net, **kwargs):
        raise StopTraining("the budget is spent", converged=False)


class _Diverge(Callback):
    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 1:  # NaN weights: epoch 2's validation score is NaN
            with torch.no_grad():
                for parameter in net.module_.parameters():
                    parameter.fill_(float("nan"))


OUTCOMES = {
    "interrupted": (_Interrupt, UserWarning, "training was interrupted after"),
    "not_converged": (_Budget, ConvergenceWarning, "stopped before converging"),
    "diverged": (_Diverge, ConvergenceWarning, "training diverged in epoch 2"),
}


@pytest.mark.parametrize(
    "name, outcome",
    [(n, o) for o in OUTCOMES for n in TORCH if o != "diverged" or n in EARLY_STOPPING],
)
def test_how_training_ended(name, outcome):
    callback, category, match = OUTCOMES[outcome]
    params = {"early_stopping": True} if outcome == "diverged" else {}
    estimator = CASES[name].make(max_iter=3, callbacks=[callback()], **params)
    with warns_here(category, match):
        estimator.fit(*fit_args(name))


@pytest.mark.parametrize(
    "name, method",
    [
        ("MLPClassifier", "fit"),
        ("MLPClassifier", "partial_fit"),
        ("CNNClassifier", "fit"),
        ("LSTMClassifier", "fit"),
        ("LSTMTextClassifier", "fit"),
    ],
)
def test_one_hot_targets(name, method):
    X, _ = CASES[name].data()
    Y = np.eye(3)[np.arange(len(X)) % 3]
    kwargs = {"classes": np.arange(3)} if method == "partial_fit" else {}
    estimator = CASES[name].make(max_iter=1)
    with warns_here(UserWarning, "exactly one 1 per row, as one-hot encoded"):
        getattr(estimator, method)(X, Y, **kwargs)


@pytest.mark.parametrize(
    "name, method",
    [
        ("MLPClassifier", "fit"),
        ("MLPClassifier", "partial_fit"),
        ("MLPRegressor", "fit"),
        ("LSTMTextClassifier", "fit"),
        ("GANSampler", "fit"),
    ],
)
def test_column_vector_labels(name, method):
    X, y = CASES[name].data()
    if y is None:  # the conditional GAN's labels
        y = np.arange(len(X)) % 2
    params = {"conditional": True} if name == "GANSampler" else {}
    kwargs = {"classes": np.unique(y)} if method == "partial_fit" else {}
    estimator = CASES[name].make(max_iter=1, **params)
    with warns_here(DataConversionWarning, "A column-vector y was passed"):
        getattr(estimator, method)(X, np.asarray(y).reshape(-1, 1), **kwargs)


# -- a device the machine lacks: the model runs on the CPU ----------------------------
@pytest.mark.parametrize("name", TORCH)
@absent_device
def test_load_a_network_fitted_on_an_absent_device(name, tmp_path):
    estimator = quiet_fit(CASES[name].make(max_iter=1), *fit_args(name))
    estimator._built_with["device"] = ABSENT_DEVICE  # as fitted on a Mac
    skdl.io.save(estimator, tmp_path / "m")
    with warns_here(UserWarning, "Loading the model on the CPU instead"):
        skdl.io.load(tmp_path / "m")


@absent_device
def test_load_an_rbm_on_an_absent_device(tmp_path):
    rbm = CASES["RBMTransformer"].make().fit(*fit_args("RBMTransformer"))
    skdl.io.save(rbm, tmp_path / "m")
    with warns_here(UserWarning, "Loading the model on the CPU instead"):
        skdl.io.load(tmp_path / "m", device=ABSENT_DEVICE)


@absent_device
def test_unpickle_an_rbm_fitted_on_an_absent_device(monkeypatch):
    rbm = CASES["RBMTransformer"].make().fit(*fit_args("RBMTransformer"))
    state = rbm.__getstate__()
    monkeypatch.setattr(
        RBMTransformer, "__getstate__", lambda self: state | {"_fitted_device": "mps"}
    )
    data = pickle.dumps(rbm)
    with warns_here(UserWarning, "Unpickling the model on the CPU instead"):
        pickle.loads(data)


@absent_device
def test_hog_transformer_fitted_on_an_absent_device():
    X, _ = CASES["HOGTransformer"].data()
    transformer = CASES["HOGTransformer"].make().fit(X)
    transformer.set_params(device=ABSENT_DEVICE)  # as unpickled from another machine
    with warns_here(UserWarning, "Computing HOG on the CPU instead"):
        transformer.transform(X)


# -- estimators' own warnings ---------------------------------------------------------
def _hopfield_patterns(n_patterns):
    rng = np.random.RandomState(0)
    return (rng.uniform(size=(n_patterns, 8)) > 0.5).astype(float)


@absent_device
def test_hopfield_network_warnings():
    patterns = _hopfield_patterns(30)
    with warns_here(UserWarning, "more than the capacity"):
        HopfieldNetwork().fit(patterns)
    # synchronous updates can cycle: one sweep leaves rows short of a fixed point
    memory = quiet_fit(HopfieldNetwork(update="sync", max_iter=1), patterns[:2])
    match = "did not reach a fixed point"
    with warns_here(ConvergenceWarning, match):
        memory.predict(patterns)
    with warns_here(ConvergenceWarning, match):
        memory.recall(patterns)
    with warns_here(ConvergenceWarning, match):
        memory.score(patterns)
    memory.set_params(device=ABSENT_DEVICE)
    with warns_here(UserWarning, "Recalling on the CPU instead"):
        memory.predict(patterns[:2])
    with warns_here(UserWarning, "Recalling on the CPU instead"):
        memory.recall(patterns[:2])
    with warns_here(UserWarning, "Recalling on the CPU instead"):
        memory.score(patterns[:2])


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_lvq_options_without_effect(method):
    X, y = fit_args("LVQClassifier")
    kwargs = {"classes": np.unique(y)} if method == "partial_fit" else {}
    estimator = LVQClassifier(variant="lvq1", solver="sgd", max_iter=1)
    with warns_here(FutureWarning, "solver='sgd' has no effect"):
        getattr(estimator, method)(X, y, **kwargs)


def test_gan_warnings():
    gan_params = {"noise_dim": 2, "hidden_layer_sizes": (4,), "batch_size": 8}
    images = np.random.RandomState(0).randint(0, 2, size=(16, 4, 4)) * 255.0
    gan = GANSampler(**gan_params, max_iter=1, warm_start=True, random_state=0)
    gan.fit(images)
    with warns_here(UserWarning, "fall between the 2 levels from 0 to 255"):
        gan.fit(images / 255.0)
    gan = GANSampler(**gan_params, loss="wgan_gp", n_critic=5, max_iter=1)
    with warns_here(UserWarning, "The generator was not trained"):
        gan.fit(images)


def test_fetcher_downloads_a_corrupt_cached_file_anew(monkeypatch, tmp_path):
    buffer = io.BytesIO()
    rng = np.random.RandomState(0)
    arrays = {
        f"{x}_{subset}": rng.randint(0, 10, size=(n, 28, 28) if x == "x" else n)
        for subset, n in (("train", 3), ("test", 2))
        for x in "xy"
    }
    np.savez_compressed(buffer, **{k: v.astype(np.uint8) for k, v in arrays.items()})
    body = buffer.getvalue()
    remote = _download.RemoteFile(
        "mnist.npz",
        "http://example.invalid/mnist.npz",
        hashlib.sha256(body).hexdigest(),
    )
    monkeypatch.setitem(_fetchers.REMOTE, "mnist", (remote,))
    monkeypatch.setattr(
        _download, "_download_verified", lambda remote, path, _: path.write_bytes(body)
    )
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "mnist.npz").write_bytes(body[: len(body) // 2])
    with warns_here(UserWarning, "Downloading it anew"):
        fetch_mnist(data_home=tmp_path)


# -- check_images: channels that look like the other data_format ---------------------
# 4 x 8 images with 6 channels: channels_first images of 6 x 4 pixels, perhaps
IMAGES = np.random.RandomState(0).uniform(size=(24, 4, 8, 6))
LABELS = np.arange(24) % 2
HINT = r"reads images of 4x8 pixels with 6 channels"


def test_check_images_hint():
    with warns_here(UserWarning, HINT):
        check_images(IMAGES)


@pytest.mark.parametrize("name", ["CNNClassifier", "CNNRegressor"])
def test_cnn_image_hint(name):
    y = LABELS if name == "CNNClassifier" else LABELS.astype(float)
    estimator = CASES[name].make(max_iter=1)
    with warns_here(UserWarning, HINT):
        estimator.fit(IMAGES, y)
    with warns_here(UserWarning, HINT):
        estimator.predict(IMAGES)
    with warns_here(UserWarning, HINT):
        estimator.score(IMAGES, y)
    if hasattr(estimator, "predict_proba"):
        with warns_here(UserWarning, HINT):
            estimator.predict_proba(IMAGES)


def test_gan_image_hint():
    with warns_here(UserWarning, HINT):
        GANSampler(noise_dim=2, hidden_layer_sizes=(4,), max_iter=1).fit(IMAGES)


def test_feature_extraction_image_hint():
    hog_params = {"pixels_per_cell": 2, "cells_per_block": 1}
    transformer = HOGTransformer(**hog_params)
    with warns_here(UserWarning, HINT):
        transformer.fit(IMAGES)
    with warns_here(UserWarning, HINT):
        transformer.transform(IMAGES)
    with warns_here(UserWarning, HINT):
        HOGTransformer(**hog_params).fit_transform(IMAGES)
    with warns_here(UserWarning, HINT):
        hog(IMAGES, **hog_params)
    with warns_here(UserWarning, HINT):
        ImageAugmenter(random_state=0).transform(IMAGES)


@pytest.mark.parametrize(
    "name",
    [
        "ColorHistogramTransformer",
        "GrayscaleConverter",
        "ImageDeskewer",
        "ImageResizer",
    ],
)
@pytest.mark.parametrize("method", ["fit", "fit_transform"])
def test_image_transformer_hint_before_refusing_the_channels(name, method):
    estimator = CASES[name].make()
    with warns_here(UserWarning, HINT), pytest.raises(ValueError, match="channels"):
        getattr(estimator, method)(IMAGES)


def test_image_functions_hint_before_refusing_the_channels():
    with warns_here(UserWarning, HINT), pytest.raises(ValueError, match="channels"):
        color_histogram(IMAGES, bins=4)
    pytest.importorskip("matplotlib")
    from skdl.plotting import plot_image_grid

    with warns_here(UserWarning, HINT), pytest.raises(ValueError, match="channels"):
        plot_image_grid(IMAGES[:4])
