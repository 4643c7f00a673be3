"""Exceptions and warnings that skdl raises."""

__all__ = ["DivergenceError"]


class DivergenceError(FloatingPointError, ValueError):
    """Training produced a non-finite loss (NaN or infinity).

    The estimator is left as it was before the failing call: a previous fit, or
    the weights before a ``warm_start`` / ``partial_fit`` call, are kept.

    Examples
    --------
    >>> from skdl.exceptions import DivergenceError
    >>> issubclass(DivergenceError, ValueError)
    True
    """
