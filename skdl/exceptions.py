"""Exceptions and warnings that skdl raises."""

__all__ = ["DivergenceError"]


class DivergenceError(FloatingPointError, ValueError):
    """Training diverged: a NaN or infinite loss, or weights out of range.

    Raised after an epoch whose training loss is not finite, or after which a
    weight is NaN, infinite or beyond ``sqrt(float32 max)`` (about 1.8e19, where
    a product of two weights overflows float32). The message holds
    scikit-learn's words for the same failure ("Solver produced non-finite
    parameter weights. ...") and what to change. The estimator is left as it
    was before the failing call: a previous fit, or the weights before a
    ``warm_start`` / ``partial_fit`` call, are kept. With ``early_stopping``, a
    fit that diverges after an epoch with a finite validation score is not an
    error: it ends with the best weights and a ``ConvergenceWarning``.

    Examples
    --------
    >>> from skdl.exceptions import DivergenceError
    >>> issubclass(DivergenceError, ValueError)
    True
    """
