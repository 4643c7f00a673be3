"""The shipped sentiment sentences parse to the 3 x 1000 rows of the source files."""

import csv

import numpy as np
import pandas as pd

from skdl.datasets import load_sentiment_sentences


def test_every_line_of_every_file_is_a_sample():
    bunch = load_sentiment_sentences()
    assert bunch.data.shape == bunch.target.shape == bunch.source.shape == (3000,)
    for source in ("amazon", "imdb", "yelp"):
        labels = bunch.target[bunch.source == source]
        assert np.bincount(labels).tolist() == [500, 500]
    assert list(bunch.target_names) == ["negative", "positive"]
    assert all(isinstance(s, str) and s and "\t" not in s for s in bunch.data)
    assert "Kotzias" in bunch.DESCR and "License" in bunch.DESCR


def test_quotes_and_next_line_characters_survive(sentiment_sentences):
    data = load_sentiment_sentences().data
    imdb = data[1000:2000]
    # sentences with stray double quotes, which a default CSV reader merges
    assert sum('"' in s for s in imdb) > 0
    # U+0085 (NEL) stays inside its sentence instead of splitting it
    assert sum("\x85" in s for s in imdb) == 2
    # the same rows as a quote-blind CSV read of the source file
    frame = pd.read_csv(
        sentiment_sentences / "imdb_labelled.txt",
        sep="\t",
        header=None,
        quoting=csv.QUOTE_NONE,
        encoding="utf-8",
    )
    assert frame[0].tolist() == list(imdb)


def test_return_X_y():
    X, y = load_sentiment_sentences(return_X_y=True)
    bunch = load_sentiment_sentences()
    np.testing.assert_array_equal(X, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)
