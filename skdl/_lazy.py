"""Packages whose public names are imported on first use (PEP 562).

``import skdl`` then costs what ``skdl/__init__.py`` itself needs, and
``from skdl import MLPClassifier`` loads the MLP's modules without OpenCV, the
text, image or LVQ estimators, or anything else it does not use.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def attach(
    package: str, submodules: dict[str, list[str]]
) -> tuple[Callable, Callable, list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` of a lazily loaded package.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    submodules : dict of str to list of str
        For each submodule (relative to ``package``), the public names it defines.

    Returns
    -------
    __getattr__, __dir__, __all__
        Assign them to the package's module globals of the same names.

    Examples
    --------
    >>> getattr_, dir_, all_ = attach("json", {"decoder": ["JSONDecoder"]})
    >>> all_
    ['JSONDecoder']
    >>> getattr_("JSONDecoder").__name__
    'JSONDecoder'
    """
    where = {name: module for module, names in submodules.items() for name in names}

    def __getattr__(name: str):
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{where[name]}"), name)
        setattr(sys.modules[package], name, value)  # the next access is direct
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__, sorted(where)
