"""Hopfield networks: associative memories that recall stored binary patterns."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from .._blocks import lazy_on_dask, refuse_block_input
from .._warnings import external_stacklevel
from ..modules import (
    STORAGE_RULES,
    capacity,
    classic_energy,
    classic_recall,
    dense_energy,
    dense_recall,
)
from ..utils import resolve_device, seed_from_random_state
from ..utils._sklearn import Interval, StrOptions, _fit_context
from ..utils._state import attributes_restored_on_error
from ..utils._torch import (
    N_THREADS_CONSTRAINT,
    fitted_device_or_cpu,
    memory_advice,
    on_cpu_by_default,
    threads_for_steps,
)
from ..utils._validation import validate_data

__all__ = ["HopfieldNetwork"]

# multiply-adds of one kernel call from which recall may use several threads
_THREADED_WORK = 2**22


class HopfieldNetwork(BaseEstimator):
    """Hopfield network: an associative memory of binary patterns.

    :meth:`fit` stores the rows of ``X`` (binary patterns); :meth:`predict`
    (also :meth:`recall`) starts the network at each row of a new ``X`` (a
    corrupted or partial pattern) and runs its dynamics until the state stops
    changing, which, within the network's capacity, is the stored pattern
    nearest to it.

    - ``kind='classic'`` (Hopfield, 1982): binary units with symmetric weights
      ``coef_`` set by a storage ``rule``; each unit takes the sign of its
      local field, which never raises the energy ``-s^T W s / 2``. It stores
      about ``0.138 N`` random patterns of ``N`` units with Hebb's rule, more
      with Storkey's or the pseudoinverse rule, and far fewer correlated ones
      (real images).
    - ``kind='dense'`` (the modern Hopfield network of Ramsauer et al., 2020):
      keeps the patterns and updates a state by a softmax-weighted mean of
      them, ``xi <- X^T softmax(beta X xi)``. Its capacity grows exponentially
      with ``N``, and it recalls correlated patterns that the classic network
      merges.

    Patterns are coded with -1 and 1, or 0 and 1; outputs use the coding of
    the training data.

    Read more in the :ref:`User Guide <hopfield>`, and see the gallery example
    :ref:`sphx_glr_auto_examples_memory_plot_hopfield_digits.py`.

    Parameters
    ----------
    rule : {'hebbian', 'storkey', 'pseudoinverse'}, default='hebbian'
        Storage rule of the classic network: Hebb's outer products, Storkey's
        incremental rule (which subtracts the crosstalk of earlier patterns),
        or the projection onto the patterns' span (each linearly independent
        pattern a fixed point). Not used by ``kind='dense'``.

    kind : {'classic', 'dense'}, default='classic'
        The classic network of binary units, or the modern one with the
        softmax update.

    update : {'async', 'sync'}, default='async'
        Dynamics of the classic network: 'async' updates one unit at a time,
        in a new random order each sweep, and always reaches a fixed point;
        'sync' updates every unit at once and can cycle between two states.
        The dense network updates all units at once.

    beta : float, default=1.0
        Inverse temperature of the dense network's softmax. For patterns of
        -1 and 1, overlaps differ by at least 2 between patterns, so ``beta``
        of 1 or more recalls the nearest pattern almost alone; small values
        average similar patterns (metastable states).

    max_iter : int, default=100
        Most sweeps (updates of every unit) per recall.

    threshold : float or None, default=None
        None: ``X`` must be binary (two values, -1 and 1 or 0 and 1). A float
        binarizes real-valued ``X``: values above it are on (1), the others
        off (-1), and outputs use -1 and 1.

    random_state : int, RandomState instance or None, default=None
        Seeds the order of the asynchronous updates. An int gives every recall
        the same orders (a row is recalled alike alone or with others); None
        draws new ones at each call.

    device : str or torch.device, default='cpu'
        Where to store and recall: 'cpu', 'cuda', 'cuda:N', 'mps', or 'auto'.
        A model fitted on a missing device recalls on the CPU.

    n_threads : int or None, default=None
        CPU threads of torch; -1 uses every core. None keeps torch's setting,
        except that small products run on one thread.

    Attributes
    ----------
    patterns_ : ndarray of shape (n_patterns, n_features)
        The stored patterns, coded -1 and 1 (int8).

    coef_ : ndarray of shape (n_features, n_features)
        Weight matrix of the classic network (symmetric, zero diagonal); only
        for ``kind='classic'``.

    capacity_ : float
        The rule's theoretical capacity for random patterns of
        ``n_features_in_`` units: ``0.138 N`` for 'hebbian', ``N / sqrt(2 ln
        N)`` for 'storkey', ``N`` for 'pseudoinverse', infinite for
        ``kind='dense'``. Storing more patterns warns.

    coding_ : ndarray of shape (2,)
        The values of the off and on states in ``X`` and in the outputs.

    n_features_in_ : int
        Number of units (features seen during :term:`fit`).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X` has
        feature names that are all strings.

    See Also
    --------
    BoltzmannMachine : The stochastic, trained relative with hidden units.
    sklearn.neighbors.KNeighborsClassifier : Nearest stored row, with labels.

    Notes
    -----
    Capacities are for random, uncorrelated patterns. Real images are
    correlated (most pixels of most digits are background), and the classic
    network then merges them into spurious states with far fewer patterns:
    see the user guide for measured recall rates.

    References
    ----------
    J. J. Hopfield, "Neural networks and physical systems with emergent
    collective computational abilities", PNAS 79, 1982. D. J. Amit,
    H. Gutfreund and H. Sompolinsky, "Storing infinite numbers of patterns in
    a spin-glass model of neural networks", Phys. Rev. Lett. 55, 1985.
    A. Storkey, "Increasing the capacity of a Hopfield network without
    sacrificing functionality", ICANN 1997. I. Kanter and H. Sompolinsky,
    "Associative recall of memory without errors", Phys. Rev. A 35, 1987.
    H. Ramsauer et al., "Hopfield networks is all you need", ICLR 2021
    (arXiv:2008.02217, 2020).

    Examples
    --------
    >>> import numpy as np
    >>> from skdl import HopfieldNetwork
    >>> rng = np.random.RandomState(0)
    >>> patterns = rng.choice([-1, 1], size=(5, 100))
    >>> memory = HopfieldNetwork(random_state=0).fit(patterns)
    >>> noisy = patterns.copy()
    >>> noisy[:, :10] *= -1  # 10% of the units flipped
    >>> bool((memory.predict(noisy) == patterns).all())
    True
    >>> round(memory.capacity_, 1)
    13.8
    """

    # why fit cannot read X block by block (see skdl._blocks.refuse_block_input)
    _block_input_refused = "stores all of its patterns (the rows of X) at once"

    _parameter_constraints: dict = {
        "rule": [StrOptions(set(STORAGE_RULES))],
        "kind": [StrOptions({"classic", "dense"})],
        "update": [StrOptions({"async", "sync"})],
        "beta": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "threshold": [Interval(Real, None, None, closed="neither"), None],
        "random_state": ["random_state"],
        "device": [str, torch.device],
        "n_threads": N_THREADS_CONSTRAINT,
    }

    def __init__(
        self,
        rule="hebbian",
        *,
        kind="classic",
        update="async",
        beta=1.0,
        max_iter=100,
        threshold=None,
        random_state=None,
        device="cpu",
        n_threads=None,
    ):
        self.rule = rule
        self.kind = kind
        self.update = update
        self.beta = beta
        self.max_iter = max_iter
        self.threshold = threshold
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Store the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_patterns, n_features)
            Binary patterns (-1 and 1, or 0 and 1), or real values with
            ``threshold``.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The network with the patterns stored.
        """
        refuse_block_input(self, X)
        with (
            memory_advice(
                f"{type(self).__name__} ran out of memory while storing the "
                "patterns; the classic network's coef_ holds n_features ** 2 "
                "floats. Use fewer features, or kind='dense', which keeps the "
                "patterns only."
            ),
            attributes_restored_on_error(self),
        ):
            X = validate_data(self, X, dtype=np.float64, reset=True)
            self.coding_ = self._coding(X)
            states = self._states(X)
            self.patterns_ = states.astype(np.int8)
            n_patterns, n_units = states.shape
            self.__dict__.pop("coef_", None)  # a dense network has none
            if self.kind == "classic":
                device = resolve_device(self.device)
                patterns = torch.as_tensor(states, dtype=_dtype(device), device=device)
                with threads_for_steps(
                    n_units * n_units, _THREADED_WORK, device, self.n_threads
                ):
                    weight = STORAGE_RULES[self.rule](patterns)
                self.coef_ = weight.cpu().double().numpy()
        self.capacity_ = capacity(
            self.rule if self.kind == "classic" else "dense", n_units
        )
        if n_patterns > self.capacity_:
            warnings.warn(
                f"{n_patterns} patterns stored in {n_units} units, more than the "
                f"capacity of rule={self.rule!r} ({self.capacity_:.1f} random "
                "patterns): many will not be recalled. Use rule='storkey' or "
                "'pseudoinverse', more units, or kind='dense'.",
                UserWarning,
                stacklevel=external_stacklevel(),
            )
        return self

    @lazy_on_dask
    def predict(self, X) -> np.ndarray:
        """Recall the stored pattern each row of ``X`` leads to.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Start states (corrupted or partial patterns), coded like the
            training data.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The final states, in the coding of the training data (``coding_``).
        """
        return self.recall(X)

    @on_cpu_by_default
    def recall(self, X, *, return_n_iter: bool = False):
        """Run the network from each row of ``X`` until it stops changing.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Start states, coded like the training data.
        return_n_iter : bool, default=False
            Also return the sweeps each row took.

        Returns
        -------
        states : ndarray of shape (n_samples, n_features)
            The final states, in the coding of the training data.
        n_iter : ndarray of shape (n_samples,)
            Sweeps (updates of every unit) until the state stopped changing,
            counting the last sweep, which changed nothing; only with
            ``return_n_iter``.
        """
        check_is_fitted(self)
        with memory_advice(self._predicting_advice("recalling")):
            final, n_iter, converged = self._run(
                validate_data(self, X, dtype=np.float64, reset=False)
            )
        n_rows = len(final)
        if not bool(converged.all()):
            advice = (
                " (update='sync' can cycle between two states; 'async' cannot)"
                if self.kind == "classic" and self.update == "sync"
                else ""
            )
            warnings.warn(
                f"{int((~converged).sum())} of {n_rows} rows did not reach a fixed "
                f"point within max_iter={self.max_iter} sweeps{advice}.",
                ConvergenceWarning,
                stacklevel=external_stacklevel(),
            )
        out = self.coding_[(final.cpu().numpy() > 0).astype(int)]
        return (out, n_iter.numpy()) if return_n_iter else out

    @on_cpu_by_default
    def energy(self, X) -> np.ndarray:
        """Energy of each row as a state of the network (lower is more stable).

        ``-s^T W s / 2`` for the classic network; Ramsauer et al.'s
        ``-lse(beta, X_stored s) + s^T s / 2 + log(n_patterns) / beta + M^2 / 2``
        for the dense one (``M`` the largest pattern norm). Recall never raises
        it, and stored patterns are local minima within capacity.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            States, coded like the training data.

        Returns
        -------
        ndarray of shape (n_samples,)
            The energies.
        """
        check_is_fitted(self)
        with memory_advice(self._predicting_advice("computing the energy of")):
            X = validate_data(self, X, dtype=np.float64, reset=False)
            states = torch.from_numpy(self._states(X))
            if self.kind == "dense":
                patterns = torch.from_numpy(self.patterns_.astype(np.float64))
                return dense_energy(states, patterns, self.beta).numpy()
            return classic_energy(states, torch.from_numpy(self.coef_)).numpy()

    def score(self, X, y=None) -> float:
        """Share of the rows of ``X`` recalled into a stored pattern.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Start states.
        y : None
            Ignored.

        Returns
        -------
        float
            The share of rows whose final state equals one of ``patterns_``
            (the rest end in spurious states, or did not settle).
        """
        recalled = np.where(self.recall(X) == self.coding_[1], 1, -1).astype(np.int8)
        stored = {row.tobytes() for row in self.patterns_}
        return float(np.mean([row.tobytes() in stored for row in recalled]))

    # -- helpers ----------------------------------------------------------------------
    def _run(self, X):
        """The network's dynamics from the validated rows ``X``: final states,
        sweeps and whether each row settled.
        """
        device = self._device()
        states = torch.as_tensor(self._states(X), dtype=_dtype(device), device=device)
        patterns = torch.as_tensor(self.patterns_, dtype=states.dtype, device=device)
        n_rows, n_units = states.shape
        if self.kind == "dense":
            work = n_rows * n_units * len(patterns)
            with threads_for_steps(work, _THREADED_WORK, device, self.n_threads):
                final, n_iter, converged = dense_recall(
                    states, patterns, beta=self.beta, max_iter=self.max_iter
                )
            final = torch.where(final == 0, states, final.sign())
        else:
            weight = torch.as_tensor(self.coef_, dtype=states.dtype, device=device)
            if self.rule == "hebbian":
                # N W holds integers: exact fields, and exact ties (zero fields,
                # common with Hebb's rule) whatever order the sums run in
                weight = (weight * n_units).round()
            seed = seed_from_random_state(self.random_state)
            work = n_rows * n_units * (n_units if self.update == "sync" else 1)
            with threads_for_steps(work, _THREADED_WORK, device, self.n_threads):
                final, n_iter, converged = classic_recall(
                    states,
                    weight,
                    update=self.update,
                    max_iter=self.max_iter,
                    generator=torch.Generator().manual_seed(seed),
                )
        return final, n_iter, converged

    def _predicting_advice(self, doing: str) -> str:
        return (
            f"{type(self).__name__} ran out of memory while {doing} all rows at "
            "once. Pass fewer rows per call."
        )

    def _coding(self, X) -> np.ndarray:
        """The off and on values of the training data."""
        if self.threshold is not None:
            return np.array([-1.0, 1.0])
        values = np.unique(X)
        for coding in ([-1.0, 1.0], [0.0, 1.0]):
            if np.isin(values, coding).all():
                return np.array(coding)
        shown = ", ".join(f"{v:g}" for v in values[:4]) + (
            ", ..." if len(values) > 4 else ""
        )
        raise ValueError(
            "HopfieldNetwork stores binary patterns, coded -1 and 1 or 0 and 1, but "
            f"X holds the values {shown}. Binarize X first, or set threshold= (the "
            "values above it become 1, the others -1)."
        )

    def _states(self, X) -> np.ndarray:
        """``X`` as -1/1 states (binarized with ``threshold``, else checked)."""
        if self.threshold is not None:
            return np.where(X > self.threshold, 1.0, -1.0)
        off, on = self.coding_
        if not np.isin(X, self.coding_).all():
            raise ValueError(
                f"{type(self).__name__} was fitted on patterns coded {off:g} and "
                f"{on:g}; X holds other values. Code X the same way."
            )
        return np.where(X == on, 1.0, -1.0)

    def _device(self) -> torch.device:
        return fitted_device_or_cpu(self.device, "Recalling")


def _dtype(device: torch.device) -> torch.dtype:
    # float64 where the device has it: the signs of fields near zero then do not
    # depend on the order of the sums
    return torch.float32 if device.type == "mps" else torch.float64
