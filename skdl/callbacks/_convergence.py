"""Stop training, or lower the learning rate, when the monitored value stalls."""

from __future__ import annotations

import copy
import sys

import torch
from skorch.callbacks import Callback

from ._checks import check_argument

__all__ = ["Convergence", "LBFGSConvergence", "StopTraining"]


class StopTraining(Exception):
    """Raised by a callback to end training after the current epoch.

    skdl's training loop catches it; it never reaches the user. With
    ``converged=False`` (a budget ran out before the model converged) the
    estimator warns with a ``ConvergenceWarning`` that quotes the message, as
    it does when ``max_iter`` is reached.

    Parameters
    ----------
    message : str, default=''
        Why training stopped.
    converged : bool, default=True
        Whether training stopped because the model converged.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skorch.callbacks import Callback
    >>> from skdl import MLPClassifier
    >>> from skdl.callbacks import StopTraining
    >>> class StopBelow(Callback):
    ...     def on_epoch_end(self, net, **kwargs):
    ...         if net.history[-1, "train_loss"] < 0.8:
    ...             raise StopTraining
    >>> X, y = load_iris(return_X_y=True)
    >>> model = MLPClassifier(learning_rate_init=0.01, callbacks=[StopBelow()],
    ...                       random_state=0).fit(X, y)
    >>> model.n_iter_ < 200, model.loss_ < 0.8
    (True, True)
    """

    def __init__(self, message: str = "", *, converged: bool = True):
        super().__init__(message)
        self.converged = converged


class Convergence(Callback):
    """scikit-learn's stopping rule for stochastic solvers, as a skorch callback.

    Each epoch, the monitored value (the training loss, or the validation score
    when ``early_stopping`` is on) counts as an improvement if it beats the best so
    far by at least ``tol``. After more than ``n_iter_no_change`` epochs without
    one, training stops; with ``lower_lr_on_plateau`` the learning rate is divided
    by 5 instead, as long as it is above ``1e-6`` (scikit-learn's 'adaptive'
    schedule).

    Parameters
    ----------
    monitor : {'train_loss', 'valid_loss', 'valid_score'}
        History key to watch; a loss must fall, a score must rise.
    tol : float
        Smallest change that counts as an improvement.
    n_iter_no_change : int or float
        Epochs without improvement tolerated before acting (``inf`` never acts).
    lower_lr_on_plateau : bool, default=False
        Divide the learning rate by 5 on a plateau instead of stopping.
    restore_best : bool, default=False
        Keep a copy of the best weights and load them when training ends.

    Examples
    --------
    >>> from skdl.callbacks import Convergence
    >>> Convergence("valid_score", tol=1e-4, n_iter_no_change=10, restore_best=True)
    <skdl.callbacks._convergence.Convergence object at ...>
    """

    def __init__(
        self,
        monitor: str,
        tol: float,
        n_iter_no_change: float,
        lower_lr_on_plateau: bool = False,
        restore_best: bool = False,
    ):
        self.monitor = monitor
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.lower_lr_on_plateau = lower_lr_on_plateau
        self.restore_best = restore_best

    def initialize(self):
        check_argument(self, "tol", low=0)
        check_argument(self, "n_iter_no_change", low=1, high_open=False)
        self.best_ = None
        self.no_improvement_count_ = 0
        self.best_state_ = None
        return self

    def on_epoch_end(self, net, **kwargs):
        value = net.history[-1, self.monitor]
        higher_is_better = self.monitor.endswith("score")
        sign = 1.0 if higher_is_better else -1.0
        if self.best_ is None:
            improved_by_tol, is_best = True, True
        else:
            improved_by_tol = sign * (value - self.best_) >= self.tol
            is_best = sign * (value - self.best_) > 0
        self.no_improvement_count_ = (
            0 if improved_by_tol else (self.no_improvement_count_ + 1)
        )
        if is_best:
            self.best_ = value
            if self.restore_best:
                self.best_state_ = copy.deepcopy(net.module_.state_dict())
        net.history.record(f"{self.monitor}_best", bool(is_best))
        if self.no_improvement_count_ <= self.n_iter_no_change:
            return
        if self.lower_lr_on_plateau:
            if net.optimizer_.param_groups[0]["lr"] > 1e-6:
                for group in net.optimizer_.param_groups:
                    group["lr"] = group["lr"] / 5.0
                self.no_improvement_count_ = 0
                return
        what = {
            "valid_score": "Validation score",
            "valid_loss": "Validation loss",
            "train_loss": "Training loss",
        }.get(self.monitor, self.monitor)
        raise StopTraining(
            f"{what} did not improve more than tol={self.tol:f} for "
            f"{self.n_iter_no_change} consecutive epochs."
        )

    def on_train_end(self, net, **kwargs):
        if self.restore_best and self.best_state_ is not None:
            net.module_.load_state_dict(self.best_state_)


#: the smallest relative reduction of the loss that L-BFGS goes on for: scipy's
#: default ``ftol`` of L-BFGS-B (``factr=1e7`` times float64's epsilon)
LBFGS_FTOL = 1e7 * sys.float_info.epsilon


class LBFGSConvergence(Callback):
    """End L-BFGS training once it converged or spent its function evaluations.

    skdl runs one L-BFGS iteration per epoch. Training has converged, as
    scipy's L-BFGS-B (scikit-learn's solver) decides, when the largest gradient
    entry is below ``tol`` (torch's L-BFGS then returns without iterating; skdl
    passes ``tol`` as its ``tolerance_grad``) or when an iteration reduced the
    training loss by at most ``ftol`` relative to it, ``(f_prev - f) /
    max(|f_prev|, |f|, 1) <= ftol``. It also stops once ``max_fun`` loss
    evaluations were made, as scikit-learn does, and then says that training
    did not converge (the estimator warns).

    Parameters
    ----------
    max_fun : int
        Largest number of loss evaluations.

    Examples
    --------
    >>> from skdl.callbacks import LBFGSConvergence
    >>> LBFGSConvergence(max_fun=15000).max_fun
    15000
    """

    def __init__(self, max_fun: int):
        self.max_fun = max_fun

    def initialize(self):
        check_argument(self, "max_fun", low=1, integer=True)
        self.n_iter_ = 0
        self.first_epoch_ = 0
        return self

    def on_train_begin(self, net, **kwargs):
        if not isinstance(net.optimizer_, torch.optim.LBFGS):
            raise ValueError(
                "LBFGSConvergence reads the state of torch's L-BFGS optimizer: "
                "use it with solver='lbfgs' (which adds it itself), not with "
                f"{type(net.optimizer_).__name__}; the stopping rule of other "
                "solvers is tol and n_iter_no_change."
            )
        # the losses of this fit only: a warm start may change the loss (alpha)
        self.first_epoch_ = len(net.history)

    def on_epoch_end(self, net, **kwargs):
        state = _lbfgs_state(net.optimizer_)
        n_iter = state.get("n_iter", 0)
        if n_iter == self.n_iter_:
            raise StopTraining("The largest gradient entry fell below tol.")
        self.n_iter_ = n_iter
        if len(net.history) - self.first_epoch_ > 1:
            before, now = net.history[-2:, "train_loss"]
            if before - now <= LBFGS_FTOL * max(abs(before), abs(now), 1.0):
                raise StopTraining(
                    f"The relative reduction of the loss fell below {LBFGS_FTOL:.3g}."
                )
        if state.get("func_evals", 0) >= self.max_fun:
            raise StopTraining(
                f"L-BFGS made max_fun={self.max_fun} loss evaluations without "
                "converging. Increase max_fun if the loss is still falling.",
                converged=False,
            )


def _lbfgs_state(optimizer) -> dict:
    first_param = optimizer.param_groups[0]["params"][0]
    return optimizer.state[first_param]
