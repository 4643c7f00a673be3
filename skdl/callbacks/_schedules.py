"""Learning-rate schedules that scikit-learn's MLP offers, as skorch callbacks."""

from __future__ import annotations

from skorch.callbacks import Callback

__all__ = ["InverseScalingLR", "LinearDecayLR"]


class InverseScalingLR(Callback):
    """Set the learning rate to ``learning_rate_init / (t + 1) ** power_t`` each epoch.

    ``t`` is the number of training samples seen so far, as in scikit-learn's
    ``learning_rate='invscaling'``.

    Parameters
    ----------
    learning_rate_init : float
        Learning rate before the first update.
    power_t : float
        Exponent of the decay.

    Examples
    --------
    >>> from skdl.callbacks import InverseScalingLR
    >>> InverseScalingLR(0.01, 0.5).rate(99)
    0.001
    """

    def __init__(self, learning_rate_init: float, power_t: float):
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t

    def rate(self, samples_seen: int) -> float:
        """Learning rate after ``samples_seen`` training samples."""
        return self.learning_rate_init / (samples_seen + 1) ** self.power_t

    def on_epoch_end(self, net, **kwargs):
        lr = self.rate(net.history[-1, "samples_seen"])
        for group in net.optimizer_.param_groups:
            group["lr"] = lr


class LinearDecayLR(Callback):
    """Lower the learning rate linearly over ``max_iter`` epochs.

    Epoch ``t`` (counted from 0) runs at ``learning_rate_init * (1 - t /
    max_iter)``, the schedule of Kohonen's LVQ_PAK taken per epoch instead of per
    sample; from epoch ``max_iter`` on (``warm_start``, ``partial_fit``) the rate
    stays at its last value, ``learning_rate_init / max_iter``.

    Parameters
    ----------
    learning_rate_init : float
        Learning rate of the first epoch.
    max_iter : int
        Number of epochs over which the rate falls.

    Examples
    --------
    >>> from skdl.callbacks import LinearDecayLR
    >>> LinearDecayLR(0.1, 10).rate(5)
    0.05
    """

    def __init__(self, learning_rate_init: float, max_iter: int):
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter

    def rate(self, epoch: int) -> float:
        """Learning rate of epoch ``epoch`` (counted from 0)."""
        remaining = max(self.max_iter - epoch, 1)
        return self.learning_rate_init * remaining / self.max_iter

    def on_epoch_end(self, net, **kwargs):
        lr = self.rate(len(net.history))
        for group in net.optimizer_.param_groups:
            group["lr"] = lr
