"""Checks of the arguments that the losses and blocks of skdl.modules are given.

The tensor checks read shapes and dtypes only, never values, so they cost no
device synchronisation and may run on every batch. Called directly, a loss given an
``(n, 1)`` input and an ``(n,)`` target otherwise broadcasts them to ``(n, n)``
and returns a wrong number without a word; a wrong dtype gives torch's error
from deep inside the computation.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..utils._numbers import check_number

__all__ = [
    "check_class_indices",
    "check_float",
    "check_matrix",
    "check_number",
    "check_option",
    "check_same_shape",
    "check_shape",
]


def _shape(tensor: torch.Tensor) -> tuple[int, ...]:
    return tuple(tensor.shape)


def _layout(axes: Sequence[str]) -> str:
    """``('n_samples',)`` as ``(n_samples,)``, as a shape is written."""
    return f"({axes[0]},)" if len(axes) == 1 else f"({', '.join(axes)})"


def check_same_shape(
    input: torch.Tensor,
    target: torch.Tensor,
    owner: str,
    names: tuple[str, str] = ("input", "target"),
) -> None:
    """Refuse an elementwise loss's ``input`` and ``target`` of different shapes.

    Broadcasting would pair every row with every target: an ``(n, 1)`` input
    and an ``(n,)`` target give ``n * n`` losses.

    Examples
    --------
    >>> import torch
    >>> check_same_shape(torch.zeros(3, 1), torch.zeros(3), "AbsoluteError")
    Traceback (most recent call last):
    ...
    ValueError: AbsoluteError compares input and target elementwise, ... got input of
    shape (3, 1) and target of shape (3,). Pass target.reshape(3, 1).
    """
    if input.shape == target.shape:
        return
    first, second = names
    if input.numel() == target.numel():
        advice = f"Pass {second}.reshape{_layout([str(n) for n in input.shape])}."
    else:
        advice = f"Pass one {second} value per {first} value."
    raise ValueError(
        f"{owner} compares {first} and {second} elementwise, so they need the same "
        f"shape; got {first} of shape {_shape(input)} and {second} of shape "
        f"{_shape(target)}. {advice}"
    )


def check_class_indices(
    scores: torch.Tensor,
    target: torch.Tensor,
    owner: str,
    *,
    names: tuple[str, str] = ("input", "target"),
    axes: Sequence[str] = ("n_samples",),
    classes: str = "n_classes",
    meanings: tuple[str, str] = ("scores, one column per class", "class indices"),
) -> torch.Tensor:
    """Refuse scores and class indices that do not go together; the indices as int64.

    ``scores`` are floats of shape ``(*axes, classes)``, one column per class;
    ``target`` holds one integer class index per row of scores, shape ``axes``.
    ``names`` and ``meanings`` say what the two are, in the messages.
    The values of ``target`` are not read: an index out of range is torch's
    error (an ``IndexError`` on the CPU, a device-side assert on a GPU).

    Returns
    -------
    Tensor
        ``target`` as ``torch.int64`` (itself when it is already).

    Examples
    --------
    >>> import torch
    >>> check_class_indices(torch.zeros(2, 3), torch.tensor([[0], [2]]), "FocalLoss")
    Traceback (most recent call last):
    ...
    ValueError: FocalLoss takes input of shape (n_samples, n_classes) (scores, one
    column per class) and target of shape (n_samples,) (class indices); got input of
    shape (2, 3) and target of shape (2, 1). Pass target.reshape(2,).
    """
    first, second = names
    scores_are, target_is = meanings
    expected = scores.shape[:-1]
    if scores.ndim != len(axes) + 1 or target.shape != expected:
        if scores.ndim == len(axes) + 1 and target.numel() == expected.numel():
            advice = f" Pass {second}.reshape{_layout([str(n) for n in expected])}."
        elif target.shape == scores.shape:
            advice = (
                f" Pass the index of each row's class, e.g. {second}.argmax(dim=-1)."
            )
        else:
            advice = ""
        raise ValueError(
            f"{owner} takes {first} of shape {_layout([*axes, classes])} "
            f"({scores_are}) and {second} of shape {_layout(axes)} ({target_is}); "
            f"got {first} of shape {_shape(scores)} and {second} of shape "
            f"{_shape(target)}.{advice}"
        )
    if not scores.is_floating_point():
        raise ValueError(
            f"{owner} needs floats in {first}; got {scores.dtype}. Pass "
            f"{first}.float()."
        )
    if target.is_floating_point() or target.is_complex() or target.dtype == torch.bool:
        raise ValueError(
            f"{owner} needs integers in {second} ({target_is}); got "
            f"{target.dtype}. Pass {second}.long()."
        )
    return target.long()


def check_float(x: torch.Tensor, owner: str, name: str) -> None:
    """Refuse ``x`` unless its dtype is a float type.

    Integers and booleans would otherwise be rounded into, or make torch
    refuse, what is computed from them.

    Examples
    --------
    >>> import torch
    >>> check_float(torch.zeros(2, dtype=torch.int64), "EnergyGapLoss", "output")
    Traceback (most recent call last):
    ...
    ValueError: EnergyGapLoss needs output of a float dtype; got torch.int64. Pass
    output.float().
    """
    if not x.is_floating_point():
        raise ValueError(
            f"{owner} needs {name} of a float dtype; got {x.dtype}. Pass "
            f"{name}.float()."
        )


def check_matrix(
    x: torch.Tensor,
    owner: str,
    name: str,
    *,
    n_columns: int | None = None,
    columns: str = "n_features",
    dtype: torch.dtype | None = None,
) -> None:
    """Refuse ``x`` unless it is a matrix of floats, with ``n_columns`` columns.

    ``dtype`` (when given) is the one float type ``x`` must have, such as that
    of a module's parameters; without it any float type does.

    Examples
    --------
    >>> import torch
    >>> check_matrix(torch.zeros(4, 5), "RBM", "v", n_columns=6, columns="n_visible")
    Traceback (most recent call last):
    ...
    ValueError: RBM takes v of shape (n_rows, n_visible=6); got shape (4, 5).
    """
    if x.ndim != 2 or (n_columns is not None and x.shape[1] != n_columns):
        width = columns if n_columns is None else f"{columns}={n_columns}"
        raise ValueError(
            f"{owner} takes {name} of shape (n_rows, {width}); got shape {_shape(x)}."
        )
    if dtype is not None and x.dtype != dtype:
        raise ValueError(
            f"{owner} computes in {dtype}; got {name} of dtype {x.dtype}. Pass "
            f"{name}.to({dtype})."
        )
    check_float(x, owner, name)


def check_shape(
    x: torch.Tensor, expected: tuple[int, ...], owner: str, name: str
) -> None:
    """Refuse ``x`` unless its shape is ``expected``.

    Examples
    --------
    >>> import torch
    >>> check_shape(torch.zeros(1, 4, 2), (1, 4, 3), "ContrastiveDivergence", "noise")
    Traceback (most recent call last):
    ...
    ValueError: ContrastiveDivergence needs noise of shape (1, 4, 3); got shape
    (1, 4, 2).
    """
    if x.shape != expected:
        raise ValueError(
            f"{owner} needs {name} of shape {tuple(expected)}; got shape {_shape(x)}."
        )


def check_option(value, name: str, options: tuple) -> None:
    """Refuse ``value`` unless it is one of the strings ``options``.

    For the building blocks of :mod:`skdl.modules`, which a user may call
    directly; the estimators validate their parameters with scikit-learn's
    constraints. It lives here, not in :mod:`skdl.utils`, so that the modules
    import neither scikit-learn nor skorch.

    Examples
    --------
    >>> check_option("avg", "reduction", ("mean", "sum", "none"))
    Traceback (most recent call last):
    ...
    ValueError: reduction must be one of 'mean', 'sum', 'none'; got 'avg'.
    """
    if not (isinstance(value, str) and value in options):
        names = ", ".join(repr(option) for option in options)
        raise ValueError(f"{name} must be one of {names}; got {value!r}.")
