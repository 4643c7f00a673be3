"""Fetchers for the data sets Keras ships loaders for: downloaded once, then cached.

The files are the ones ``keras.datasets`` downloads, from the same addresses, and are
checked against the checksums Keras publishes for them.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import tarfile
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..utils._sklearn import StrOptions, validate_params
from ._base import image_bunch
from ._download import (
    Problem,
    RemoteFile,
    fetch_file,
    get_data_home,
    load_npz,
    max_expansion,
    reading,
    safe_unpickle,
)

__all__ = [
    "fetch_cifar10",
    "fetch_cifar100",
    "fetch_fashion_mnist",
    "fetch_imdb",
    "fetch_mnist",
    "fetch_reuters",
]

_KERAS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

# {data set: files}; the checksums are those in keras/src/datasets (SHA-256, except
# for the word indexes of IMDB and Reuters, for which Keras publishes only MD5s)
REMOTE: dict[str, tuple[RemoteFile, ...]] = {
    "mnist": (
        RemoteFile(
            "mnist.npz",
            _KERAS + "mnist.npz",
            "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        ),
    ),
    "fashion_mnist": tuple(
        RemoteFile(name, _KERAS + name, checksum)
        for name, checksum in (
            (
                "train-images-idx3-ubyte.gz",
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            ),
            (
                "train-labels-idx1-ubyte.gz",
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            ),
            (
                "t10k-images-idx3-ubyte.gz",
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            ),
            (
                "t10k-labels-idx1-ubyte.gz",
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            ),
        )
    ),
    "cifar10": (
        RemoteFile(
            "cifar-10-python.tar.gz",
            "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
            "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
        ),
    ),
    "cifar100": (
        RemoteFile(
            "cifar-100-python.tar.gz",
            "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
            "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
        ),
    ),
    "reuters": (
        RemoteFile(
            "reuters.npz",
            _KERAS + "reuters.npz",
            "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
        ),
        RemoteFile(
            "reuters_word_index.json",
            _KERAS + "reuters_word_index.json",
            "4d44cc38712099c9e383dc6e5f11a921",
        ),
    ),
    "imdb": (
        RemoteFile(
            "imdb.npz",
            _KERAS + "imdb.npz",
            "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
        ),
        RemoteFile(
            "imdb_word_index.json",
            _KERAS + "imdb_word_index.json",
            "bfafd718b763782e994055a2d397834f",
        ),
    ),
}

_SUBSETS = ("train", "test", "all")

_FASHION_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

_CIFAR10_NAMES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]

_MNIST_DESCR = """\
MNIST handwritten digits
------------------------

70000 grayscale images of handwritten digits, 28x28 pixels, 10 classes: 60000 for
training and 10000 for testing (the standard split). Pixels are ints 0
(background) to 255 (ink).

Source: Yann LeCun, Corinna Cortes and Christopher J.C. Burges,
http://yann.lecun.com/exdb/mnist/, as the file ``mnist.npz`` that Keras serves.
License: Yann LeCun and Corinna Cortes hold the copyright of MNIST, a derivative
work of NIST data; it is made available under the Creative Commons
Attribution-Share Alike 3.0 license (as stated in the Keras documentation).
"""

_FASHION_DESCR = """\
Fashion-MNIST
-------------

70000 grayscale 28x28 images of clothing in 10 classes (T-shirt/top, Trouser,
Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot): 60000 for
training and 10000 for testing. A harder drop-in replacement for MNIST.

Source: Han Xiao, Kashif Rasul and Roland Vollgraf, "Fashion-MNIST: a Novel Image
Dataset for Benchmarking Machine Learning Algorithms" (2017),
https://github.com/zalandoresearch/fashion-mnist, as the IDX files Keras serves.
License: MIT, copyright Zalando SE.
"""

_CIFAR10_DESCR = """\
CIFAR-10
--------

60000 color images of 32x32 pixels in 10 classes (airplane, automobile, bird, cat,
deer, dog, frog, horse, ship, truck), 6000 per class: 50000 for training (five
batches) and 10000 for testing. ``images`` are channels-last uint8 arrays.

Source: Alex Krizhevsky, "Learning Multiple Layers of Features from Tiny Images"
(2009), https://www.cs.toronto.edu/~kriz/cifar.html (the Python version).
License: none is stated; the authors ask that work using the data set cite the
report above.
"""

_CIFAR100_DESCR = """\
CIFAR-100
---------

60000 color images of 32x32 pixels in 100 classes ("fine" labels: apple, aquarium
fish, baby, bear, ...), grouped into 20 superclasses ("coarse" labels: aquatic
mammals, fish, flowers, ...), 600 images per class: 50000 for training and 10000
for testing. ``images`` are channels-last uint8 arrays.

Source: Alex Krizhevsky, "Learning Multiple Layers of Features from Tiny Images"
(2009), https://www.cs.toronto.edu/~kriz/cifar.html (the Python version).
License: none is stated; the authors ask that work using the data set cite the
report above.
"""

# the topic of each target, in Keras' order (keras.datasets.reuters.get_label_names)
_REUTERS_TOPICS = (
    *("cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing"),
    *("money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton"),
    *("carcass", "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp"),
    *("meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal"),
    *("livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei"),
    *("bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog"),
    "lead",
)

_REUTERS_DESCR = """\
Reuters newswire topics
-----------------------

11228 newswires from Reuters (1987) labelled with 46 topics, in the preprocessed
form Keras serves: each newswire is a sequence of word ids, the id being the word's
frequency rank (1 is the most frequent word). The split is Keras': the newswires
shuffled with seed 113, the first 80% (8982) for training and the rest (2246)
for testing. With ``as_text=True`` the ids are turned back into words with Keras'
word index (lowercased, without punctuation). Targets are ints 0 to 45;
``target_names`` are the Reuters-21578 topic codes in that order, as Keras lists
them (``keras.datasets.reuters.get_label_names``: 3 'earn', 4 'acq'...). The
classes are very unequal (the two largest hold over half of the newswires).

Source: the Reuters-21578 collection (David D. Lewis,
http://www.daviddlewis.com/resources/testcollections/reuters21578/), as the files
``reuters.npz`` and ``reuters_word_index.json`` that Keras serves.
License: Reuters-21578 may be freely used for research; its README asks that
work using it cite the collection.
"""

_IMDB_DESCR = """\
IMDB movie reviews
------------------

50000 movie reviews from IMDB labelled by sentiment (0 negative, 1 positive), 25000
for training and 25000 for testing, in the preprocessed form Keras serves: each
review is a sequence of word ids, the id being the word's frequency rank in the
training reviews (1 is the most frequent word). With ``as_text=True`` the ids are
turned back into words with Keras' word index, which gives lowercased text without
punctuation (HTML line breaks remain as the word "br"). Samples may be grouped by
label: shuffle or stratify before taking a part of them.

Source: Andrew L. Maas et al., "Learning Word Vectors for Sentiment Analysis"
(ACL 2011), https://ai.stanford.edu/~amaas/data/sentiment/, as the files
``imdb.npz`` and ``imdb_word_index.json`` that Keras serves.
License: none is stated; the authors ask that work using the data set cite the
paper above.
"""


# what every fetcher takes, checked as scikit-learn's fetchers check theirs (a
# flag given as the string "False" would otherwise read as true)
_FETCHER_PARAMETERS = {
    "subset": [StrOptions(set(_SUBSETS))],
    "data_home": [str, os.PathLike, None],
    "download_if_missing": ["boolean"],
    "return_X_y": ["boolean"],
}


def _fetcher(**constraints):
    """``validate_params`` with the fetchers' common constraints and ``constraints``."""
    return validate_params(
        {**_FETCHER_PARAMETERS, **constraints}, prefer_skip_nested_validation=True
    )


def _fetch(
    dataset: str, data_home, download_if_missing: bool, n_files: int | None = None
) -> list[Path]:
    """Paths of the first ``n_files`` (default all) files of ``dataset``."""
    folder = get_data_home(data_home) / dataset
    paths = []
    for remote in REMOTE[dataset][:n_files]:
        paths.append(
            fetch_file(
                remote, folder, dataset=dataset, download_if_missing=download_if_missing
            )
        )
    return paths


def _checked(X, y, paths, fetcher, *, sample_shape, n_classes):
    """``(X, y)`` read from ``paths``, once their shapes and labels add up.

    ``X`` must hold uint8 samples of ``sample_shape`` (None: a 1-D array of
    sequences), ``y`` one whole-number label in ``[0, n_classes)`` per sample.
    """
    with reading(paths, fetcher):
        X = np.asarray(X) if sample_shape is not None else X
        if sample_shape is not None and (
            X.dtype != np.uint8 or X.shape[1:] != sample_shape
        ):
            raise Problem(
                f"its images are {X.dtype} of shape {X.shape[1:]}, not uint8 of "
                f"shape {sample_shape}"
            )
        if X.ndim == 0 or (sample_shape is None and X.ndim != 1):
            raise Problem(f"its samples form an array of shape {X.shape}")
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise Problem(f"it holds {len(X)} samples but labels of shape {y.shape}")
        if len(y) and (
            y.dtype.kind not in "iuf" or not np.isin(y, np.arange(n_classes)).all()
        ):
            raise Problem(f"its labels are not whole numbers from 0 to {n_classes - 1}")
    return X, y


def _select(train, test, subset):
    """Pick ``train``, ``test`` or both from pairs ``(X, y)``."""
    if subset == "train":
        return train
    if subset == "test":
        return test
    return tuple(np.concatenate([a, b]) for a, b in zip(train, test, strict=True))


@_fetcher()
def fetch_mnist(
    subset: str = "train",
    *,
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
    return_X_y: bool = False,
):
    """Load MNIST, the 70000 handwritten digits (28x28 grayscale, 10 classes).

    Downloaded once (11 MB) into ``data_home`` and checked against its SHA-256.

    =================   ======================
    Classes                                 10
    Samples             60000 train, 10000 test
    Dimensionality               784 (28 x 28)
    Features                     ints 0 to 255
    =================   ======================

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        The standard training or test split, or both (training samples first).
    data_home : str or path-like, default=None
        Cache folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download the data if they are not cached; if False, raise ``OSError``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data`` (uint8, shape (n_samples, 784), one flat image per row),
        ``images`` (uint8, shape (n_samples, 28, 28)), ``target`` (int, shape
        (n_samples,)), ``target_names`` and ``DESCR`` (source and license).
    (data, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    ConnectionError
        If the download fails (no internet connection, for instance).
    OSError
        If a cached file is corrupt (the message names it; one that fails its
        checksum is downloaded anew, unless ``download_if_missing=False``), or
        if the disk refuses (full, no permission: the disk's error, with what
        to change).

    Examples
    --------
    >>> from skdl.datasets import fetch_mnist
    >>> X, y = fetch_mnist(return_X_y=True)  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (60000, 784)
    """
    (path,) = _fetch("mnist", data_home, download_if_missing)
    images, target = _select(*_npz_pairs(path, "fetch_mnist", (28, 28), 10), subset)
    return image_bunch(
        images,
        target,
        target_names=list(range(10)),
        descr=_MNIST_DESCR,
        return_X_y=return_X_y,
    )


def _npz_pairs(path: Path, fetcher: str, sample_shape, n_classes: int):
    """The ``(x_train, y_train)`` and ``(x_test, y_test)`` pairs of a Keras npz."""
    arrays = load_npz(path, ["x_train", "y_train", "x_test", "y_test"], fetcher=fetcher)
    return tuple(
        _checked(
            arrays[f"x_{part}"],
            arrays[f"y_{part}"],
            path,
            fetcher,
            sample_shape=sample_shape,
            n_classes=n_classes,
        )
        for part in ("train", "test")
    )


def _read_idx(path: Path, fetcher: str) -> np.ndarray:
    """Read a gzipped IDX file of unsigned bytes (the MNIST file format)."""
    with reading(path, fetcher):
        with gzip.open(path, "rb") as file:
            raw = file.read()
        if len(raw) < 4 or raw[:3] != b"\x00\x00\x08":
            raise Problem("it is not an IDX file of unsigned bytes")
        header = 4 + 4 * raw[3]
        if len(raw) < header:
            raise Problem("it is truncated: its header is cut short")
        shape = tuple(int(n) for n in np.frombuffer(raw[4:header], dtype=">u4"))
        if len(raw) != header + math.prod(shape):
            raise Problem(
                f"it is truncated or overlong: its header announces shape {shape}, "
                f"{math.prod(shape)} bytes, and it holds {len(raw) - header}"
            )
        return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


@_fetcher()
def fetch_fashion_mnist(
    subset: str = "train",
    *,
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
    return_X_y: bool = False,
):
    """Load Fashion-MNIST: 70000 28x28 grayscale images of clothing, 10 classes.

    Downloaded once (30 MB, four IDX files) into ``data_home`` and checked against
    their SHA-256.

    =================   ======================
    Classes                                 10
    Samples             60000 train, 10000 test
    Dimensionality               784 (28 x 28)
    Features                     ints 0 to 255
    =================   ======================

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        The standard training or test split, or both (training samples first).
    data_home : str or path-like, default=None
        Cache folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download the data if they are not cached; if False, raise ``OSError``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data`` (uint8, shape (n_samples, 784)), ``images`` (uint8, shape
        (n_samples, 28, 28)), ``target`` (int, shape (n_samples,)),
        ``target_names`` (the clothing names) and ``DESCR``.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    ConnectionError
        If the download fails (no internet connection, for instance).
    OSError
        If a cached file is corrupt (the message names it; one that fails its
        checksum is downloaded anew, unless ``download_if_missing=False``), or
        if the disk refuses (full, no permission: the disk's error, with what
        to change).

    Examples
    --------
    >>> from skdl.datasets import fetch_fashion_mnist
    >>> clothes = fetch_fashion_mnist(subset="test")  # doctest: +SKIP
    >>> clothes.target_names[clothes.target[0]]  # doctest: +SKIP
    'Ankle boot'
    """
    paths = _fetch("fashion_mnist", data_home, download_if_missing)
    x_train, y_train, x_test, y_test = (
        _read_idx(path, "fetch_fashion_mnist") for path in paths
    )
    pairs = [
        _checked(
            X,
            y,
            files,
            "fetch_fashion_mnist",
            sample_shape=(28, 28),
            n_classes=10,
        )
        for X, y, files in (
            (x_train, y_train, paths[:2]),
            (x_test, y_test, paths[2:]),
        )
    ]
    images, target = _select(*pairs, subset)
    return image_bunch(
        images,
        target,
        target_names=list(_FASHION_NAMES),
        descr=_FASHION_DESCR,
        return_X_y=return_X_y,
    )


def _unpickle_members(path: Path, fetcher: str, folder: str, wanted: dict) -> dict:
    """The unpickled members ``folder/name`` of a gzipped tar archive, in one pass.

    ``wanted`` maps each name to what messages call it ('batch', 'table'). A
    gzipped tar has no index: looking a member up decompresses the archive from
    its start, so reading the members one at a time decompressed CIFAR-10's
    170 MB once per batch. A name the archive holds twice is read as its last
    copy, as ``TarFile.getmember`` does.
    """
    full_names = {f"{folder}/{name}": name for name in wanted}
    found = {}
    with reading(path, fetcher), tarfile.open(path, "r|gz") as archive:
        limit = max_expansion(path.stat().st_size)
        for info in archive:
            name = full_names.get(info.name)
            if name is None:
                continue
            if not info.isfile() or info.size > limit:
                raise Problem(f"its {wanted[name]} {name!r} is not a file it can hold")
            with archive.extractfile(info) as member:
                found[name] = safe_unpickle(member.read(), encoding="bytes")
        for name, what in wanted.items():
            if name not in found:
                raise Problem(f"it has no {what} {name!r}")
    return found


def _cifar_images(
    batches: dict, names: list[str], path: Path, fetcher: str, label_keys
):
    """Images and ``{key: labels}`` of the unpickled CIFAR ``batches`` ``names``.

    ``label_keys`` maps each batch's label keys to their number of classes
    (``b"labels"`` in CIFAR-10, ``b"fine_labels"`` and ``b"coarse_labels"`` in
    CIFAR-100); every batch must hold all of them.
    """
    images, labels = [], {key: [] for key in label_keys}
    with reading(path, fetcher):
        for name in names:
            batch = batches[name]
            if not isinstance(batch, dict) or not {b"data", *label_keys} <= set(batch):
                raise Problem(f"its batch {name!r} is not a dict of data and labels")
            for key, n_classes in label_keys.items():
                data, batch_labels = _checked(
                    batch[b"data"],
                    batch[key],
                    path,
                    fetcher,
                    sample_shape=(3072,),
                    n_classes=n_classes,
                )
                labels[key].append(batch_labels)
            images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    labels = {key: np.concatenate(parts) for key, parts in labels.items()}
    return np.ascontiguousarray(np.concatenate(images)), labels


@_fetcher()
def fetch_cifar10(
    subset: str = "train",
    *,
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
    return_X_y: bool = False,
):
    """Load CIFAR-10: 60000 32x32 color images in 10 classes.

    Downloaded once (163 MB) into ``data_home`` and checked against its SHA-256.

    =================   ======================
    Classes                                 10
    Samples             50000 train, 10000 test
    Dimensionality          3072 (32 x 32 x 3)
    Features                     ints 0 to 255
    =================   ======================

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        The standard training or test split, or both (training samples first).
    data_home : str or path-like, default=None
        Cache folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download the data if they are not cached; if False, raise ``OSError``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``images`` (uint8, shape (n_samples, 32, 32, 3), channels last),
        ``data`` (the same pixels as rows of 3072), ``target`` (int, shape
        (n_samples,)), ``target_names`` and ``DESCR``.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    ConnectionError
        If the download fails (no internet connection, for instance).
    OSError
        If a cached file is corrupt (the message names it; one that fails its
        checksum is downloaded anew, unless ``download_if_missing=False``), or
        if the disk refuses (full, no permission: the disk's error, with what
        to change).

    Examples
    --------
    >>> from skdl.datasets import fetch_cifar10
    >>> cifar = fetch_cifar10(subset="test")  # doctest: +SKIP
    >>> cifar.images.shape  # doctest: +SKIP
    (10000, 32, 32, 3)
    """
    (path,) = _fetch("cifar10", data_home, download_if_missing)
    names = {
        "train": [f"data_batch_{i}" for i in range(1, 6)],
        "test": ["test_batch"],
    }
    names["all"] = names["train"] + names["test"]
    fetcher, wanted = "fetch_cifar10", names[subset]
    batches = _unpickle_members(
        path, fetcher, "cifar-10-batches-py", dict.fromkeys(wanted, "batch")
    )
    images, labels = _cifar_images(batches, wanted, path, fetcher, {b"labels": 10})
    return image_bunch(
        images,
        labels[b"labels"],
        target_names=list(_CIFAR10_NAMES),
        descr=_CIFAR10_DESCR,
        return_X_y=return_X_y,
    )


@_fetcher(label_mode=[StrOptions({"fine", "coarse"})])
def fetch_cifar100(
    subset: str = "train",
    *,
    label_mode: str = "fine",
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
    return_X_y: bool = False,
):
    """Load CIFAR-100: 60000 32x32 color images, 100 classes in 20 superclasses.

    Downloaded once (161 MB) into ``data_home`` and checked against its SHA-256.

    =================   ======================
    Classes              100 fine, 20 coarse
    Samples             50000 train, 10000 test
    Dimensionality          3072 (32 x 32 x 3)
    Features                     ints 0 to 255
    =================   ======================

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        The standard training or test split, or both (training samples first).
    label_mode : {'fine', 'coarse'}, default='fine'
        Which labels are ``target`` (and ``return_X_y``'s): the 100 classes or
        the 20 superclasses. The Bunch holds both either way.
    data_home : str or path-like, default=None
        Cache folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download the data if they are not cached; if False, raise ``OSError``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``images`` (uint8, shape (n_samples, 32, 32, 3), channels last),
        ``data`` (the same pixels as rows of 3072), ``target`` and
        ``target_names`` (of ``label_mode``), ``fine_target``,
        ``fine_target_names``, ``coarse_target``, ``coarse_target_names`` and
        ``DESCR``.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    ConnectionError
        If the download fails (no internet connection, for instance).
    OSError
        If a cached file is corrupt (the message names it; one that fails its
        checksum is downloaded anew, unless ``download_if_missing=False``), or
        if the disk refuses (full, no permission: the disk's error, with what
        to change).

    Examples
    --------
    >>> from skdl.datasets import fetch_cifar100
    >>> cifar = fetch_cifar100(subset="test")  # doctest: +SKIP
    >>> cifar.fine_target_names[cifar.fine_target[0]]  # doctest: +SKIP
    'mountain'
    >>> cifar.coarse_target_names[cifar.coarse_target[0]]  # doctest: +SKIP
    'large_natural_outdoor_scenes'
    """
    (path,) = _fetch("cifar100", data_home, download_if_missing)
    names = {"train": ["train"], "test": ["test"], "all": ["train", "test"]}
    fetcher = "fetch_cifar100"
    wanted = names[subset]
    members = _unpickle_members(
        path,
        fetcher,
        "cifar-100-python",
        {**dict.fromkeys(wanted, "batch"), "meta": "table"},
    )
    images, labels = _cifar_images(
        members, wanted, path, fetcher, {b"fine_labels": 100, b"coarse_labels": 20}
    )
    label_names = _cifar100_label_names(members["meta"], path, fetcher)
    extra = {}
    for mode in ("fine", "coarse"):
        extra[f"{mode}_target"] = labels[f"{mode}_labels".encode()].astype(np.int64)
        extra[f"{mode}_target_names"] = label_names[mode]
    return image_bunch(
        images,
        extra[f"{label_mode}_target"],
        target_names=list(extra[f"{label_mode}_target_names"]),
        descr=_CIFAR100_DESCR,
        return_X_y=return_X_y,
        **extra,
    )


def _cifar100_label_names(meta, path: Path, fetcher: str) -> dict[str, list[str]]:
    """``{'fine': 100 names, 'coarse': 20 names}`` from the archive's ``meta``."""
    with reading(path, fetcher):
        if not isinstance(meta, dict):
            raise Problem("its table 'meta' is not a dict of label names")
        names = {}
        for mode, n_classes in (("fine", 100), ("coarse", 20)):
            values = meta.get(f"{mode}_label_names".encode())
            if (
                not isinstance(values, list)
                or len(values) != n_classes
                or not all(isinstance(name, bytes) for name in values)
            ):
                raise Problem(
                    f"its table 'meta' does not list {n_classes} {mode} label names"
                )
            names[mode] = [name.decode("utf-8") for name in values]
    return names


def _sequence_data(sequences, paths: list[Path], fetcher: str, as_text: bool):
    """Word-id sequences as words joined by spaces, or as int64 id arrays.

    The words come from the word index in ``paths[1]`` (``as_text``).
    """
    with reading(paths[0], fetcher):
        sequences = [_word_ids(sequence) for sequence in sequences]
    if as_text:
        words = _read_word_index(paths[1], fetcher)
        return [
            " ".join(words[i] for i in sequence if i in words) for sequence in sequences
        ]
    data = np.empty(len(sequences), dtype=object)
    data[:] = sequences
    return data


@_fetcher(as_text=["boolean"])
def fetch_reuters(
    subset: str = "train",
    *,
    as_text: bool = True,
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
    return_X_y: bool = False,
):
    """Load the Reuters newswires labelled with 46 topics (8982 train, 2246 test).

    Downloaded once (2 MB, plus 0.5 MB for the word index when ``as_text``) into
    ``data_home`` and checked against the checksums Keras publishes.

    =================   ======================
    Classes                   46 (ints 0-45)
    Samples              8982 train, 2246 test
    Features            text, or word-id arrays
    =================   ======================

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        Keras' split (seed 113, 80% for training), or both (training first).
    as_text : bool, default=True
        Return each newswire as a string (words separated by spaces); if False,
        as an int array of word ids (frequency ranks, 1 is the most frequent
        word), as Keras does before its offsets.
    data_home : str or path-like, default=None
        Cache folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download the data if they are not cached; if False, raise ``OSError``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data`` (a list of str, or an object array of int arrays),
        ``target`` (int, shape (n_samples,)), ``target_names`` (the 46
        Reuters-21578 topic codes, as Keras lists them: ``'earn'``,
        ``'acq'``...) and ``DESCR``.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    ConnectionError
        If the download fails (no internet connection, for instance).
    OSError
        If a cached file is corrupt (the message names it; one that fails its
        checksum is downloaded anew, unless ``download_if_missing=False``), or
        if the disk refuses (full, no permission: the disk's error, with what
        to change).

    Examples
    --------
    >>> from skdl.datasets import fetch_reuters
    >>> newswires, topics = fetch_reuters(return_X_y=True)  # doctest: +SKIP
    >>> len(newswires), topics.max()  # doctest: +SKIP
    (8982, 45)
    """
    fetcher = "fetch_reuters"
    paths = _fetch("reuters", data_home, download_if_missing, None if as_text else 1)
    arrays = load_npz(paths[0], ["x", "y"], fetcher=fetcher)
    sequences, target = _checked(
        arrays["x"], arrays["y"], paths[0], fetcher, sample_shape=None, n_classes=46
    )
    order = np.arange(len(sequences))
    np.random.RandomState(113).shuffle(order)  # Keras' split
    sequences, target = sequences[order], target[order]
    cut = int(len(sequences) * 0.8)
    sequences, target = _select(
        (sequences[:cut], target[:cut]), (sequences[cut:], target[cut:]), subset
    )
    target = np.asarray(target, dtype=np.int64)
    data = _sequence_data(sequences, paths, fetcher, as_text)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        target_names=list(_REUTERS_TOPICS),
        DESCR=_REUTERS_DESCR,
    )


@_fetcher(as_text=["boolean"])
def fetch_imdb(
    subset: str = "train",
    *,
    as_text: bool = True,
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
    return_X_y: bool = False,
):
    """Load the IMDB movie reviews labelled by sentiment (25000 train, 25000 test).

    Downloaded once (17 MB, plus 1.6 MB for the word index when ``as_text``) into
    ``data_home`` and checked against the checksums Keras publishes.

    =================   ======================
    Classes                  2 (0 neg, 1 pos)
    Samples             25000 train, 25000 test
    Features            text, or word-id arrays
    =================   ======================

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        The standard training or test split, or both (training samples first).
    as_text : bool, default=True
        Return each review as a string (words separated by spaces) for text
        pipelines; if False, as an int array of word ids (frequency ranks, 1 is
        the most frequent word), as Keras does before its offsets.
    data_home : str or path-like, default=None
        Cache folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download the data if they are not cached; if False, raise ``OSError``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data`` (a list of str, or an object array of int arrays),
        ``target`` (int, shape (n_samples,)), ``target_names``
        (``['negative', 'positive']``) and ``DESCR``.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    ConnectionError
        If the download fails (no internet connection, for instance).
    OSError
        If a cached file is corrupt (the message names it; one that fails its
        checksum is downloaded anew, unless ``download_if_missing=False``), or
        if the disk refuses (full, no permission: the disk's error, with what
        to change).

    Examples
    --------
    >>> from skdl.datasets import fetch_imdb
    >>> reviews, sentiment = fetch_imdb(return_X_y=True)  # doctest: +SKIP
    >>> len(reviews), sentiment[:4]  # doctest: +SKIP
    (25000, array([1, 0, 0, 1]))
    """
    fetcher = "fetch_imdb"
    paths = _fetch("imdb", data_home, download_if_missing, None if as_text else 1)
    sequences, target = _select(*_npz_pairs(paths[0], fetcher, None, 2), subset)
    target = np.asarray(target, dtype=np.int64)
    data = _sequence_data(sequences, paths, fetcher, as_text)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        target_names=["negative", "positive"],
        DESCR=_IMDB_DESCR,
    )


def _word_ids(sequence) -> list[int]:
    ids = np.asarray(sequence)
    if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
        raise Problem("a sample is not a sequence of integer word ids")
    return ids.astype(np.int64)


def _read_word_index(path: Path, fetcher: str) -> dict[int, str]:
    """Keras' ``{word: rank}`` index, as ``{rank: word}``."""
    with reading(path, fetcher):
        word_index = json.loads(path.read_bytes().decode("utf-8"))
        if not isinstance(word_index, dict) or not all(
            isinstance(rank, int) for rank in word_index.values()
        ):
            raise Problem("it is not a JSON object of words and integer ranks")
    return {rank: word for word, rank in word_index.items()}
