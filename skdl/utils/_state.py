"""The promise that a call which raises leaves an estimator as it was."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["attributes_restored_on_error"]


@contextlib.contextmanager
def attributes_restored_on_error(estimator) -> Iterator[None]:
    """Put back ``estimator``'s attributes if the block raises, then re-raise.

    The attributes are restored as they were when the block began (a shallow
    copy of ``__dict__``: objects that the block changed in place, such as a
    module's weights, are the caller's to restore).

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> estimator = BaseEstimator()
    >>> try:
    ...     with attributes_restored_on_error(estimator):
    ...         estimator.coef_ = 1.0
    ...         raise ValueError("bad input")
    ... except ValueError:
    ...     pass
    >>> hasattr(estimator, "coef_")
    False
    """
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        raise
