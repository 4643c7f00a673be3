"""Exceptions and warnings that skdl raises."""

__all__ = ["DivergenceError", "ModelFileError"]


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


class ModelFileError(ValueError):
    """:func:`skdl.io.load` refused a file.

    Raised for every file that ``load`` does not turn into an estimator: a file
    that is not an skdl model file, one that is truncated, altered or malformed,
    one written in a newer file format, one whose content lies outside what
    ``load`` restores from a file it cannot trust (``trusted=False``), and a
    call that lacks parameters the file could not store. The message says which,
    and what to change.

    Examples
    --------
    >>> import os, tempfile
    >>> from skdl.exceptions import ModelFileError
    >>> from skdl.io import load
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> with open(path, "w") as file:
    ...     _ = file.write("not a model")
    >>> try:
    ...     load(path)
    ... except ModelFileError as error:
    ...     print(error)
    /.../notes.txt is not a valid skdl model file: it is not a zip archive, ...
    """
