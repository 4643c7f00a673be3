"""Checks of the callbacks' arguments, made when a net initializes them."""

from __future__ import annotations

import math
from numbers import Integral, Real

__all__ = ["check_number"]


def check_number(
    callback,
    name: str,
    *,
    low: float,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = True,
    integer: bool = False,
) -> None:
    """Refuse ``callback.<name>`` unless it is a number in the interval given.

    Examples
    --------
    >>> from skdl.callbacks import LinearDecayLR
    >>> check_number(LinearDecayLR(0.1, 0), "max_iter", low=1, integer=True)
    Traceback (most recent call last):
    ...
    ValueError: LinearDecayLR's max_iter must be an int in [1, inf); got 0.
    """
    value = getattr(callback, name)
    kind = Integral if integer else Real
    inside = (
        isinstance(value, kind)
        and not isinstance(value, bool)
        and not math.isnan(value)
        and (low < value if low_open else low <= value)
        and (value < high if high_open else value <= high)
    )
    if not inside:
        interval = (
            f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        )
        raise ValueError(
            f"{type(callback).__name__}'s {name} must be "
            f"{'an int' if integer else 'a number'} in {interval}; got {value!r}."
        )
