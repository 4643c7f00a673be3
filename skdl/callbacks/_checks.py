"""Checks of the callbacks' arguments, made when a net initializes them."""

from __future__ import annotations

from ..utils._validation import check_number

__all__ = ["check_argument"]


def check_argument(callback, name: str, **interval) -> None:
    """Refuse ``callback.<name>`` unless it is a number in ``interval``: the
    keywords of :func:`~skdl.utils._validation.check_number`.

    Examples
    --------
    >>> from skdl.callbacks import LinearDecayLR
    >>> check_argument(LinearDecayLR(0.1, 0), "max_iter", low=1, integer=True)
    Traceback (most recent call last):
    ...
    ValueError: LinearDecayLR's max_iter must be an int >= 1; got 0.
    """
    value = getattr(callback, name)
    check_number(value, f"{type(callback).__name__}'s {name}", **interval)
