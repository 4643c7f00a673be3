"""Packages whose public names are imported on first use (PEP 562).

``import skdl`` then costs what ``skdl/__init__.py`` itself needs, and
``from skdl import MLPClassifier`` loads the MLP's modules without OpenCV, the
text, image or LVQ estimators, or anything else it does not use.

A first use runs with Python's cycle collector paused
(:func:`_cycle_collection_paused`): importing torch, scikit-learn and skorch
makes about a million objects, nearly none of them garbage, and the collector
traversed them all several times over, a sixth of the import's time.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cycle collector (:func:`gc.disable`) for the block.

    Reference counting still frees every object that is not in a cycle; cycles
    made meanwhile are collected after the block, by the collector's next run.
    It runs again when the block ends, however the block ends, unless it was
    already paused before (by the caller, or by another thread's block). A
    process forked (by another thread) while a block has it paused starts with
    it running: the block that would resume it does not go on in the child.

    On 2 cores, ``from skdl import MLPClassifier`` (torch, scikit-learn and
    skorch with it) took 1.48-1.52 s with the collector paused against 1.68-1.70
    s without it, the collector's first run after the block included (45 ms, one
    pass over the new objects); ``benchmarks/bench_startup.py`` has the whole
    script's figures.

    Examples
    --------
    >>> import gc
    >>> with _cycle_collection_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    global _pausing
    enabled = gc.isenabled()
    gc.disable()
    if enabled:
        _pausing = True
    try:
        yield
    finally:
        if enabled:
            _pausing = False
            gc.enable()


# whether a block of _cycle_collection_paused holds the collector paused that was
# running before it
_pausing = False


def _resume_in_forked_child() -> None:
    global _pausing
    if _pausing:
        _pausing = False
        gc.enable()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_resume_in_forked_child)


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
        with _cycle_collection_paused():
            module = importlib.import_module(f"{package}.{where[name]}")
        value = getattr(module, name)
        setattr(sys.modules[package], name, value)  # the next access is direct
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__, sorted(where)
