"""Figures for fitted skdl estimators and for images (needs matplotlib).

matplotlib is an optional dependency (``pip install matplotlib``, or the ``docs``
extra); it is imported only when a function here is called.
"""

from __future__ import annotations

import numpy as np

from .utils import check_images
from .utils._validation import check_count

__all__ = ["plot_history", "plot_image_grid"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "skdl.plotting needs matplotlib: install it with "
            "`pip install matplotlib` (or, from skdl's checkout, the docs extra: "
            '`python -m pip install ".[docs]"`).'
        ) from exc
    return plt


def _history(estimator):
    """The per-epoch records of ``estimator`` (or of a Pipeline's last step)."""
    final = estimator
    if hasattr(final, "steps"):
        final = final.steps[-1][1]
    history = getattr(final, "history_", None)
    if history is None:
        from .base import BaseTorchEstimator  # torch's import, once needed

        advice = (
            "fit it first"
            if isinstance(final, BaseTorchEstimator)
            else "it trains without skdl's training loop and records no history"
        )
        raise ValueError(
            f"plot_history needs a fitted skdl estimator with a history_ "
            f"attribute; {type(final).__name__} has none: {advice}."
        )
    return list(history)


def plot_history(estimator, *, ax=None):
    """Plot the training curves of a fitted estimator from its ``history_``.

    The first axes show the training loss per epoch (and the validation loss when
    ``early_stopping`` held out a validation set); the second, present when
    validation scores were recorded, shows them with the best epoch marked.

    Parameters
    ----------
    estimator : fitted skdl estimator or Pipeline
        Anything with ``history_``, or a Pipeline whose last step has it.
    ax : matplotlib Axes or sequence of two Axes, default=None
        Where to draw; by default a new figure with one or two axes.

    Returns
    -------
    ndarray of matplotlib Axes
        The loss axes, then the score axes if there is one.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from skdl import MLPClassifier
    >>> from skdl.plotting import plot_history
    >>> X, y = load_iris(return_X_y=True)
    >>> model = MLPClassifier(max_iter=30, early_stopping=True, random_state=0)
    >>> axes = plot_history(model.fit(X, y))
    >>> [a.get_ylabel() for a in axes]
    ['loss', 'validation score']
    """
    records = _history(estimator)
    epochs = [row["epoch"] for row in records]
    has_valid_loss = any("valid_loss" in row for row in records)
    has_score = any("valid_score" in row for row in records)
    n_axes = 2 if has_score else 1
    if ax is None:
        plt = _pyplot()
        _, axes = plt.subplots(1, n_axes, figsize=(5 * n_axes, 3.6), squeeze=False)
        axes = axes[0]
    else:
        axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
        if not all(hasattr(a, "plot") for a in axes):
            raise TypeError(
                "ax must be a matplotlib Axes or a sequence of Axes; got "
                f"{[type(a).__name__ for a in axes]}."
            )
        if len(axes) < n_axes:
            raise ValueError(
                f"This history has {n_axes} panels (loss and validation score); "
                f"pass {n_axes} axes in ax, got {len(axes)}."
            )
    loss_ax = axes[0]
    loss_ax.plot(epochs, [row["train_loss"] for row in records], label="training")
    if has_valid_loss:
        loss_ax.plot(
            epochs,
            [row.get("valid_loss", np.nan) for row in records],
            label="validation",
        )
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("loss")
    loss_ax.legend()
    if has_score:
        score_ax = axes[1]
        scores = [row.get("valid_score", np.nan) for row in records]
        score_ax.plot(epochs, scores, color="C2")
        best = int(np.nanargmax(scores))
        score_ax.plot(epochs[best], scores[best], "o", color="C3", label="best epoch")
        score_ax.set_xlabel("epoch")
        score_ax.set_ylabel("validation score")
        score_ax.legend()
    return axes[:n_axes]


def plot_image_grid(
    images,
    labels=None,
    *,
    image_shape=None,
    data_format: str = "channels_last",
    n_cols: int = 8,
    max_images: int = 64,
    cmap: str = "gray",
):
    """Show images in a grid, each titled with its label.

    Parameters
    ----------
    images : array-like
        Images in any layout :func:`skdl.utils.check_images` accepts: flat rows
        (with ``image_shape``), ``(n, height, width)`` or 4-D in ``data_format``,
        with 1 or 3 channels. Float images (filters, prototypes) are scaled per
        image to the full color range.
    labels : array-like of shape (n_images,), default=None
        Titles of the images, one per image, taken by position: the index of a
        pandas Series (e.g. ``y_test`` from ``train_test_split``) is ignored.
    image_shape : tuple, default=None
        Shape of one image, for flat rows that are not square grayscale.
    data_format : {'channels_last', 'channels_first'}, default='channels_last'
        Where the channel axis of 4-D images and of a 3-tuple ``image_shape``
        is: ``(n, height, width, channels)`` or ``(n, channels, height, width)``.
    n_cols : int, default=8
        Images per row, at least 1.
    max_images : int, default=64
        Show at most this many (the first ones), at least 1.
    cmap : str, default='gray'
        Colormap of grayscale images.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skdl.plotting import plot_image_grid
    >>> digits = load_digits()
    >>> fig = plot_image_grid(digits.images[:10], digits.target[:10], n_cols=5)
    >>> len(fig.axes)
    10
    """
    n_cols = check_count(n_cols, "n_cols", 1)
    max_images = check_count(max_images, "max_images", 1)
    plt = _pyplot()
    pictures = check_images(
        images,
        image_shape=image_shape,
        data_format=data_format,
        owner="plot_image_grid",
    )
    if pictures.shape[-1] not in (1, 3):
        raise ValueError(
            f"plot_image_grid shows images with 1 or 3 channels; got "
            f"{pictures.shape[-1]}."
        )
    if labels is not None:
        # by position: labels[i] of a pandas Series would look up its index
        labels = np.asarray(labels, dtype=object)
        n_labels = len(labels) if labels.ndim else 1
        if n_labels != len(pictures):
            raise ValueError(
                f"Got {n_labels} label{'s' * (n_labels != 1)} for {len(pictures)} "
                "images; pass one label per image."
            )
    pictures = pictures[:max_images]
    n = len(pictures)
    n_cols = min(n_cols, n)
    n_rows = -(-n // n_cols)
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(1.2 * n_cols, 1.3 * n_rows), squeeze=False
    )
    for index, ax in enumerate(axes.ravel()):
        if index >= n:
            ax.remove()
            continue
        picture = pictures[index]
        if picture.dtype != np.uint8:
            low, high = float(picture.min()), float(picture.max())
            picture = (picture - low) / (high - low) if high > low else picture * 0
        if picture.shape[-1] == 1:
            vmax = 255 if picture.dtype == np.uint8 else 1
            ax.imshow(picture[..., 0], cmap=cmap, vmin=0, vmax=vmax)
        else:
            ax.imshow(picture)
        ax.set_xticks([])
        ax.set_yticks([])
        if labels is not None:
            ax.set_title(str(labels[index]), fontsize=9)
    fig.tight_layout()
    return fig
