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
    type_filter : {'classifier', 'regressor', 'transformer'}, list of them or \
None, default=None
        Keep only estimators of this kind (of any of these kinds).

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

    kinds = [type_filter] if isinstance(type_filter, str) else type_filter
    if kinds is not None and not (
        isinstance(kinds, list | tuple) and kinds and set(kinds) <= set(_TYPE_FILTERS)
    ):
        raise ValueError(
            "type_filter must be None, one of 'classifier', 'regressor' and "
            f"'transformer', or a list of them; got {type_filter!r}."
        )
    bases = None if kinds is None else tuple(_TYPE_FILTERS[kind] for kind in kinds)
    found = []
    for name in skdl.__all__:
        obj = getattr(skdl, name)
        if not (inspect.isclass(obj) and issubclass(obj, BaseEstimator)):
            continue
        if inspect.isabstract(obj):
            continue
        if bases is not None and not issubclass(obj, bases):
            continue
        found.append((name, obj))
    return sorted(found)
