"""Learning-rate schedules that scikit-learn's MLP offers, as skorch callbacks."""

from __future__ import annotations

from skorch.callbacks import Callback

__all__ = ["InverseScalingLR"]


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
