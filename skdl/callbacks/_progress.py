"""Progress reports over the epochs of a fit: scikit-learn's lines, or a bar."""

from __future__ import annotations

from skorch.callbacks import Callback

from ._checks import check_argument

__all__ = ["EpochProgressBar", "IterationLog"]


class IterationLog(Callback):
    """Print scikit-learn's per-epoch lines, as its MLPs do with ``verbose``.

    After each epoch: ``Iteration N, loss = L`` (``N`` counts the epochs of
    this call to ``fit`` or ``partial_fit``, ``L`` is the training loss), then
    ``Validation score: S`` when a validation set is held out. When a callback
    stops training (convergence, a budget spent), its reason is printed,
    followed by ``Stopping.``. skdl's estimators add it when ``verbose`` is
    true.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skdl import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> model = MLPClassifier(verbose=True, random_state=0)
    >>> _ = model.partial_fit(X, y, classes=[0, 1, 2])
    Iteration 1, loss = ...
    """

    def on_train_begin(self, net, **kwargs):
        self.first_epoch_ = len(net.history)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        epoch = len(net.history) - self.first_epoch_
        print(f"Iteration {epoch}, loss = {row['train_loss']:.8f}")
        if "valid_score" in row:
            print(f"Validation score: {row['valid_score']:f}")

    def on_train_end(self, net, **kwargs):
        message = getattr(net, "stop_message_", "")
        if message:
            print(f"{message} Stopping.")


class EpochProgressBar(Callback):
    """Show a tqdm bar over the epochs of a fit, with the latest losses.

    Pass it in an estimator's ``callbacks``.

    Parameters
    ----------
    total : int or None, default=None
        Number of epochs the fit may run; None takes the net's ``max_epochs``,
        the epochs of the call (``max_iter`` resolved for the data; 1 for
        ``partial_fit``).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skdl import MLPClassifier
    >>> from skdl.callbacks import EpochProgressBar
    >>> X, y = load_iris(return_X_y=True)
    >>> model = MLPClassifier(max_iter=300, callbacks=[EpochProgressBar()])
    >>> model.callbacks[0].total is None
    True
    """

    def __init__(self, total: int | None = None):
        self.total = total

    def initialize(self):
        if self.total is not None:
            check_argument(self, "total", low=1, integer=True)
        return self

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        total = net.max_epochs if self.total is None else self.total
        self.bar_ = tqdm(total=total, unit="epoch", leave=True)

    def on_epoch_end(self, net, **kwargs):
        last = net.history[-1]
        shown = {
            key: f"{last[key]:.4g}"
            for key in ("train_loss", "valid_loss", "valid_score")
            if key in last
        }
        self.bar_.set_postfix(shown, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        self.bar_.close()
        del self.bar_
