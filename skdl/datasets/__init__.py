"""Data sets: shipped with skdl (with their sources and licenses) or fetched once.

``load_*`` functions read data inside the package; ``fetch_*`` functions download
the data sets Keras offers into a cache folder (:func:`get_data_home`) the first
time and verify their checksums.

There is no Boston housing loader: scikit-learn removed ``load_boston`` for
ethical reasons (one feature encodes an assumption about racial segregation);
use :func:`sklearn.datasets.fetch_california_housing` for housing-price
regression (see the user guide page on data sets).
"""

from ._base import load_digit_sheet
from ._download import get_data_home
from ._fetchers import (
    fetch_cifar10,
    fetch_cifar100,
    fetch_fashion_mnist,
    fetch_imdb,
    fetch_mnist,
    fetch_reuters,
)
from ._folder import load_image_folder
from ._sentiment import load_sentiment_sentences

__all__ = [
    "fetch_cifar10",
    "fetch_cifar100",
    "fetch_fashion_mnist",
    "fetch_imdb",
    "fetch_mnist",
    "fetch_reuters",
    "get_data_home",
    "load_digit_sheet",
    "load_image_folder",
    "load_sentiment_sentences",
]
