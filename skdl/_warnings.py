"""The ``stacklevel`` that names the user's line in skdl's warnings."""

from __future__ import annotations

import os
import sys

# packages whose frames stand between the user's call and skdl's warning:
# skdl itself, scikit-learn's wrappers of fit and transform (``_fit_context``,
# ``set_output``) and meta-estimators (Pipeline, cross_validate through joblib),
# skorch's training loop and torch's decorators
_INTERNAL_PACKAGES = ("skdl", "sklearn", "joblib", "skorch", "torch")


def external_stacklevel() -> int:
    """The ``stacklevel`` for ``warnings.warn`` called by the caller of this
    function that names the first frame outside skdl and the libraries it runs
    through: the user's line that called skdl (``fit``, ``predict``, ``load``...),
    however deep the call went inside them.
    """
    prefixes = tuple(
        os.path.dirname(module.__file__) + os.sep
        for module in map(sys.modules.get, _INTERNAL_PACKAGES)
        if getattr(module, "__file__", None)
    )
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(prefixes):
        frame, level = frame.f_back, level + 1
    return level
