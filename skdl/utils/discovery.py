"""Find skdl's public estimators, the way :func:`sklearn.utils.all_estimators` does."""

from __future__ import annotations

import inspect

from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    TransformerMixin,
)

__all__ = ["all_estimators"]

_TYPE_FILTERS = {
    "classifier": ClassifierMixin,
    "regressor": RegressorMixin,
    "transformer": TransformerMixin,
}


def all_estimators(type_filter: str | None = None) -> list[tuple[str, type]]:
    """List every public estimator class that skdl exports.

    Parameters
    ----------
    type_filter : {'classifier', 'regressor', 'transformer'} or None, default=None
        Keep only estimators of this kind.

    Returns
    -------
    list of (name, class) tuples
        Sorted by name.

    Examples
    --------
    >>> from skdl.utils.discovery import all_estimators
    >>> "MLPClassifier" in dict(all_estimators("classifier"))
    True
    """
    import skdl

    found = []
    for name in skdl.__all__:
        obj = getattr(skdl, name)
        if not (inspect.isclass(obj) and issubclass(obj, BaseEstimator)):
            continue
        if inspect.isabstract(obj):
            continue
        if type_filter is not None and not issubclass(obj, _TYPE_FILTERS[type_filter]):
            continue
        found.append((name, obj))
    return sorted(found)
