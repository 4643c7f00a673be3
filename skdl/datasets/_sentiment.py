"""The UCI Sentiment Labelled Sentences, shipped with skdl."""

from __future__ import annotations

import hashlib

import numpy as np
from sklearn.utils import Bunch

from ..utils._sklearn import validate_params
from ._base import _data_file

__all__ = ["load_sentiment_sentences"]

_FOLDER = "sentiment_labelled_sentences"

# source name -> (file, sha256)
_FILES = {
    "amazon": (
        "amazon_cells_labelled.txt",
        "47003fc0a0d4840b00e96e715b6189bad09e7443a3da41c4cbe12ffc79f86ae3",
    ),
    "imdb": (
        "imdb_labelled.txt",
        "aef2e49e3da25714d61175e3a6e68eeef74a20a2f914318dc3be9947ea86512d",
    ),
    "yelp": (
        "yelp_labelled.txt",
        "c76468b7b5c6e56a0804d728345c5f84aa2142ddb214420f61cc9cfd4c00d2ea",
    ),
}

_DESCR = """\
Sentiment Labelled Sentences
----------------------------

3000 English sentences from reviews, each labelled negative (0) or positive (1):
1000 from Amazon (cell phones and accessories), 1000 from IMDb (movies) and 1000
from Yelp (restaurants), 500 of each label per site. The authors picked sentences
with a clear sentiment; sentences average 10 to 14 words (at most 71).

=================   ==============
Classes                          2
Samples per class             1500
Samples total                 3000
Features                      text
=================   ==============

The samples come grouped by site (Amazon, IMDb, Yelp) in file order: shuffle or
stratify before splitting. ``source`` names the site of each sentence.

Source: UCI Machine Learning Repository, dataset 331
(https://archive.ics.uci.edu/dataset/331/sentiment+labelled+sentences), created
for D. Kotzias, M. Denil, N. de Freitas and P. Smyth, "From Group to Individual
Labels using Deep Features", KDD 2015. The files are unmodified copies (from the
repository Nanofication/TWC-Naive-Bayes, commit 5bc4715, whose IMDb and Yelp files
are byte-identical to other copies).

License: the dataset's readme asks users to cite the paper above; the copy ships
no license file. UCI's dataset page is reported to list CC BY 4.0, which could not
be confirmed from here. See skdl/datasets/data/ATTRIBUTION.rst.
"""


@validate_params({"return_X_y": ["boolean"]}, prefer_skip_nested_validation=True)
def load_sentiment_sentences(*, return_X_y: bool = False):
    """Load the UCI Sentiment Labelled Sentences (3000 sentences, 2 classes).

    Sentences from Amazon, IMDb and Yelp reviews, labelled 0 (negative) or 1
    (positive), 500 of each per site. Each file line is ``sentence<TAB>label``;
    the IMDb file holds stray double quotes (a CSV reader with default quoting
    merges lines and loses 252 rows) and two U+0085 characters inside sentences
    (``str.splitlines`` breaks lines there), so the text is split at newline
    characters only, and each line at its last tab.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data`` (object array of 3000 str), ``target`` (int array, 0 =
        negative, 1 = positive), ``source`` (object array: 'amazon', 'imdb' or
        'yelp'), ``target_names`` and ``DESCR`` (source and license).
    (data, target) : tuple
        If ``return_X_y`` is True.

    Examples
    --------
    >>> from skdl.datasets import load_sentiment_sentences
    >>> sentences = load_sentiment_sentences()
    >>> sentences.data.shape, sentences.target.sum()
    ((3000,), np.int64(1500))
    >>> print(sentences.data[1], sentences.target[1], sentences.source[1])
    Good case, Excellent value. 1 amazon
    """
    data, target, source = [], [], []
    for name, (filename, digest) in _FILES.items():
        raw = _data_file(f"{_FOLDER}/{filename}").read_bytes()
        if hashlib.sha256(raw).hexdigest() != digest:
            raise OSError(
                f"skdl/datasets/data/{_FOLDER}/{filename} does not match its "
                "checksum; reinstall skdl to restore it."
            )
        for line in raw.decode("utf-8").split("\n"):
            if line:
                sentence, label = line.rsplit("\t", 1)
                data.append(sentence)
                target.append(int(label))
                source.append(name)
    data = np.array(data, dtype=object)
    target = np.array(target)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        source=np.array(source, dtype=object),
        target_names=np.array(["negative", "positive"], dtype=object),
        DESCR=_DESCR,
    )
