"""Learning-rate schedules that scikit-learn's MLP offers, as skorch callbacks.

Each sets the rate of every optimizer the net registered: ``optimizer_``, and
those a net adds (GANSampler's ``discriminator_optimizer_``).
"""

from __future__ import annotations

from skorch.callbacks import Callback

from ._checks import check_argument

__all__ = [
    "ExponentialDecayLR",
    "InverseScalingLR",
    "LinearDecayLR",
    "ReduceLROnPlateau",
]


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

    def initialize(self):
        check_argument(self, "learning_rate_init", low=0, low_open=True)
        check_argument(self, "power_t", low=0)
        return self

    def rate(self, samples_seen: int) -> float:
        """Learning rate after ``samples_seen`` training samples."""
        return self.learning_rate_init / (samples_seen + 1) ** self.power_t

    def on_epoch_end(self, net, **kwargs):
        lr = self.rate(net.history[-1, "samples_seen"])
        for group in _param_groups(net):
            group["lr"] = lr


class _EpochSchedule(Callback):
    """A rate that depends on the epochs of the whole history.

    It is set on every optimizer at the start of a fit and after each epoch:
    a warm start's fresh optimizer goes on where the history stopped.
    Subclasses define ``rate(epochs)``.
    """

    def on_train_begin(self, net, **kwargs):
        self.on_epoch_end(net)

    def on_epoch_end(self, net, **kwargs):
        lr = self.rate(len(net.history))
        for group in _param_groups(net):
            group["lr"] = lr


class LinearDecayLR(_EpochSchedule):
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

    def initialize(self):
        check_argument(self, "learning_rate_init", low=0, low_open=True)
        check_argument(self, "max_iter", low=1, integer=True)
        return self

    def rate(self, epochs: int) -> float:
        """Learning rate of the epoch after ``epochs`` epochs (counted from 0)."""
        remaining = max(self.max_iter - epochs, 1)
        return self.learning_rate_init * remaining / self.max_iter


class ExponentialDecayLR(_EpochSchedule):
    """Decay the learning rate by ``decay_rate`` every ``decay_steps`` epochs.

    After ``t`` epochs (of the whole history, so a warm start continues the
    schedule) the rate is ``learning_rate_init * decay_rate ** (t / decay_steps)``,
    Keras' ``ExponentialDecay`` counted in epochs; with ``staircase`` the
    exponent is rounded down, a step decay (Keras' ``staircase=True``, PyTorch's
    ``StepLR``). The rate never falls below ``min_learning_rate``.

    Parameters
    ----------
    learning_rate_init : float
        Rate of the first epoch.
    decay_rate : float
        Factor applied every ``decay_steps`` epochs.
    decay_steps : int
        Epochs per factor ``decay_rate``.
    staircase : bool, default=False
        Change the rate only every ``decay_steps`` epochs.
    min_learning_rate : float, default=0.0
        Lower bound of the rate.

    Examples
    --------
    >>> from skdl.callbacks import ExponentialDecayLR
    >>> ExponentialDecayLR(0.1, 0.5, 10).rate(5)  # half way to one halving
    0.0707...
    >>> ExponentialDecayLR(0.1, 0.5, 10, staircase=True).rate(25)
    0.025
    """

    def __init__(
        self,
        learning_rate_init: float,
        decay_rate: float,
        decay_steps: int,
        staircase: bool = False,
        min_learning_rate: float = 0.0,
    ):
        self.learning_rate_init = learning_rate_init
        self.decay_rate = decay_rate
        self.decay_steps = decay_steps
        self.staircase = staircase
        self.min_learning_rate = min_learning_rate

    def initialize(self):
        check_argument(self, "learning_rate_init", low=0, low_open=True)
        check_argument(self, "decay_rate", low=0, low_open=True)
        check_argument(self, "decay_steps", low=0, low_open=True)
        check_argument(self, "min_learning_rate", low=0)
        return self

    def rate(self, epochs: int) -> float:
        """Learning rate after ``epochs`` epochs."""
        exponent = epochs / self.decay_steps
        if self.staircase:
            exponent = epochs // self.decay_steps
        rate = self.learning_rate_init * self.decay_rate**exponent
        return max(rate, self.min_learning_rate)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when the loss stops falling.

    Keras' ``ReduceLROnPlateau``: after ``patience`` epochs in a row in which
    the monitored loss did not fall below its best by more than ``tol``, the
    rate is multiplied by ``factor`` (not below ``min_learning_rate``) and the
    count starts again. It monitors ``valid_loss`` when the epoch has one (a
    validation set), else ``train_loss``.

    Parameters
    ----------
    factor : float
        Factor on the rate at each plateau, in (0, 1] (1 changes nothing).
    patience : int
        Epochs without improvement before the rate is lowered.
    tol : float, default=0.0
        Smallest fall of the loss that counts as an improvement.
    min_learning_rate : float, default=0.0
        Lower bound of the rate.

    Examples
    --------
    >>> from skdl.callbacks import ReduceLROnPlateau
    >>> ReduceLROnPlateau(factor=0.1, patience=5).patience
    5
    """

    def __init__(
        self,
        factor: float,
        patience: int,
        tol: float = 0.0,
        min_learning_rate: float = 0.0,
    ):
        self.factor = factor
        self.patience = patience
        self.tol = tol
        self.min_learning_rate = min_learning_rate

    def initialize(self):
        check_argument(self, "factor", low=0, high=1, low_open=True, high_open=False)
        check_argument(self, "patience", low=0, integer=True)
        check_argument(self, "tol", low=0)
        check_argument(self, "min_learning_rate", low=0)
        self.best_ = None
        self.wait_ = 0
        return self

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        loss = row["valid_loss"] if "valid_loss" in row else row["train_loss"]
        if self.best_ is None or loss < self.best_ - self.tol:
            self.best_ = loss
            self.wait_ = 0
            return
        self.wait_ += 1
        if self.wait_ < self.patience:
            return
        self.wait_ = 0
        for group in _param_groups(net):
            group["lr"] = max(group["lr"] * self.factor, self.min_learning_rate)


def _param_groups(net):
    """The parameter groups of every optimizer of ``net``."""
    for name in getattr(net, "_optimizers", None) or ["optimizer"]:
        yield from getattr(net, name + "_").param_groups
