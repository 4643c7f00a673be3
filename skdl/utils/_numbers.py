"""The number check of every skdl argument, importable without torch or scikit-learn.

``skdl.modules`` (torch only) and the estimators' validation (scikit-learn) both
use it, so it lives apart from either.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

__all__ = ["check_number"]


def check_number(
    value,
    name: str,
    *,
    low: float,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = True,
    integer: bool = False,
):
    """``value`` if it is a number (an int with ``integer``) in the interval given.

    Raises a ValueError naming ``name`` otherwise (bools and NaN included). An
    int bounded below only is described as ``>= low``; other intervals in
    interval notation, whose closed or open ``inf`` end says whether infinity
    itself is allowed.

    Examples
    --------
    >>> check_number(0.5, "factor", low=0, high=1, low_open=True, high_open=False)
    0.5
    >>> check_number(float("inf"), "tol", low=0)
    Traceback (most recent call last):
    ...
    ValueError: tol must be a number in [0, inf); got inf.
    >>> check_number(0, "n_samples", low=1, integer=True)
    Traceback (most recent call last):
    ...
    ValueError: n_samples must be an int >= 1; got 0.
    """
    inside = (
        isinstance(value, Integral if integer else Real)
        and not isinstance(value, bool)
        and value == value  # not NaN (math.isnan overflows on a huge int)
        and (low < value if low_open else low <= value)
        and (value < high if high_open else value <= high)
    )
    if inside:
        return int(value) if integer else value
    if integer and high == math.inf:
        interval = f"{'>' if low_open else '>='} {low:g}"
    else:
        interval = (
            f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        )
    raise ValueError(
        f"{name} must be {'an int' if integer else 'a number'} {interval}; "
        f"got {value!r}."
    )
