"""Data sets: shipped with skdl (with their sources and licenses) or fetched once.

``load_*`` functions read data inside the package; ``fetch_*`` functions download
the data sets Keras offers into a cache folder (:func:`get_data_home`) the first
time and verify their checksums.
"""

from ._base import load_digit_sheet
from ._download import get_data_home
from ._fetchers import fetch_cifar10, fetch_fashion_mnist, fetch_imdb, fetch_mnist
from ._sentiment import load_sentiment_sentences

__all__ = [
    "fetch_cifar10",
    "fetch_fashion_mnist",
    "fetch_imdb",
    "fetch_mnist",
    "get_data_home",
    "load_digit_sheet",
    "load_sentiment_sentences",
]
