"""A progress bar over epochs, for ``verbose=1``."""

from __future__ import annotations

from skorch.callbacks import Callback

__all__ = ["EpochProgressBar"]


class EpochProgressBar(Callback):
    """Show a tqdm bar over the epochs of a fit, with the latest losses.

    Parameters
    ----------
    total : int
        Number of epochs the fit may run.

    Examples
    --------
    >>> from skdl.callbacks import EpochProgressBar
    >>> EpochProgressBar(total=10).total
    10
    """

    def __init__(self, total: int):
        self.total = total

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=self.total, unit="epoch", leave=True)

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
