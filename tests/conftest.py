"""Test-run settings, the guard against state leaking between tests, and the
real data sets (``../shared/data`` beside the checkout, or skdl's shipped copies).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import torch
from threadpoolctl import ThreadpoolController, threadpool_limits

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# cuBLAS is deterministic under torch.use_deterministic_algorithms(True) only with
# a fixed workspace, read when its first handle is made: before any test runs
# (tests/test_gpu.py checks the bitwise repeatability that
# docs/user_guide/gpu_reproducibility.rst promises)
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def pytest_configure(config):
    # pytest-xdist runs the tests in several worker processes; each holds torch
    # and the BLAS/OpenMP pools to its share of the cores, since pools of
    # several processes spinning against each other on a small machine run
    # many times slower than one thread each
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers:
        share = max(1, len(os.sched_getaffinity(0)) // int(workers))
        torch.set_num_threads(share)
        threadpool_limits(limits=share)


_POOLS: list[ThreadpoolController] = []


def _process_settings() -> dict:
    """The process-wide settings that change results and that a test could leave
    changed for the tests after it."""
    if not _POOLS:
        _POOLS.append(ThreadpoolController())
    return {
        "torch threads": torch.get_num_threads(),
        "BLAS/OpenMP threads": [
            (pool.prefix, pool.num_threads) for pool in _POOLS[0].lib_controllers
        ],
        "torch default dtype": torch.get_default_dtype(),
        "torch deterministic algorithms": torch.are_deterministic_algorithms_enabled(),
        "torch grad mode": torch.is_grad_enabled(),
        "numpy error handling": np.geterr(),
    }


@pytest.fixture(autouse=True)
def _no_leaked_settings(request):
    """Fail a test that leaves process-wide settings changed: the tests after it
    would then depend on the order the tests run in."""
    before = _process_settings()
    yield
    after = _process_settings()
    changed = {
        key: (before[key], after[key]) for key in before if before[key] != after[key]
    }
    if changed:
        pytest.fail(
            f"{request.node.nodeid} left process-wide settings changed "
            f"(before, after): {changed}",
            pytrace=False,
        )


# -- real data ------------------------------------------------------------------------
def _shared(relative: str, what: str) -> Path:
    """``../shared/data/<relative>``, or a skip that says where the data come from.

    CI sets ``SKDL_TEST_DATA=required``: there a missing file fails the run
    instead, so that every data-dependent test runs in CI.
    """
    path = SHARED_DATA / relative
    if not path.exists():
        reason = (
            f"needs {what} at ../shared/data/{relative} beside the checkout "
            "(CI provides it)"
        )
        if os.environ.get("SKDL_TEST_DATA") == "required":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def mnist_t10k() -> Path:
    """Folder of the MNIST test set's IDX files."""
    return _shared(
        "mnist_t10k", "the MNIST test set (http://yann.lecun.com/exdb/mnist/)"
    )


@pytest.fixture(scope="session")
def mnist_test_set(mnist_t10k) -> tuple[np.ndarray, np.ndarray]:
    """The 10000 MNIST test images as flat rows of floats in [0, 1], and labels."""
    from skdl.datasets._fetchers import _read_idx

    fetcher = "mnist_test_set"  # what a corrupt file's error says to call again
    images = _read_idx(mnist_t10k / "t10k-images-idx3-ubyte.gz", fetcher)
    labels = _read_idx(mnist_t10k / "t10k-labels-idx1-ubyte.gz", fetcher)
    return images.reshape(len(images), -1) / 255.0, labels.astype(int)


@pytest.fixture(scope="session")
def letter_recognition() -> Path:
    """UCI Letter Recognition, 20,000 rows of a letter and 16 integer features."""
    return _shared(
        "uci_letter_recognition/letter-recognition.data",
        "UCI Letter Recognition (https://archive.ics.uci.edu/dataset/59)",
    )


@pytest.fixture(scope="session")
def digit_sheet() -> Path:
    """OpenCV's 2000x1000 sheet of 5000 handwritten digits, as skdl ships it."""
    with resources.as_file(
        resources.files("skdl.datasets").joinpath("data", "digits.png")
    ) as path:
        yield path


@pytest.fixture(scope="session")
def sentiment_sentences() -> Path:
    """Folder of the UCI sentiment-labelled sentences, as skdl ships them."""
    with resources.as_file(
        resources.files("skdl.datasets").joinpath(
            "data", "sentiment_labelled_sentences"
        )
    ) as path:
        yield path


@pytest.fixture(scope="session")
def sms_messages() -> list[str]:
    """The 5574 texts of the UCI SMS Spam Collection, in file order."""
    path = _shared(
        "sms_spam_collection/SMSSpamCollection",
        "the UCI SMS Spam Collection (https://archive.ics.uci.edu/dataset/228)",
    )
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[1] for line in lines]


@pytest.fixture
def shallow_fits(monkeypatch):
    """The shallow autoencoders that greedy pretraining fits, in order."""
    from skdl import AutoencoderTransformer

    fitted = []
    fit = AutoencoderTransformer.fit

    def spy(self, X, y=None, **kwargs):
        fit(self, X, y, **kwargs)
        if self.pretraining is None:
            fitted.append(self)
        return self

    monkeypatch.setattr(AutoencoderTransformer, "fit", spy)
    return fitted
