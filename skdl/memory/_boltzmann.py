"""General Boltzmann machines: visible and hidden units, all connected."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._blocks import lazy_on_dask
from .._optim import SOLVERS
from ..base import BaseTorchEstimator, TorchTransformerMixin
from ..modules import BoltzmannModule, EnergyGapLoss, pseudo_likelihood
from ..utils import seed_from_random_state
from ..utils._docstrings import fill_doc
from ..utils._sklearn import Interval, StrOptions, _fit_context
from ..utils._torch import memory_advice, on_cpu_by_default
from ..utils._validation import check_count, input_float_dtype

__all__ = ["BoltzmannMachine"]

# exact likelihoods enumerate 2 ** (n_visible + n_hidden) states
_ENUMERABLE_UNITS = 20


@fill_doc
class BoltzmannMachine(TorchTransformerMixin, BaseTorchEstimator):
    """General Boltzmann machine: binary hidden and visible units, all connected.

    Hinton and Sejnowski's stochastic network: every pair of units, visible or
    hidden, has a symmetric coupling, and the machine defines the probability
    ``P(v) = sum_h exp(-E(v, h)) / Z``. It is the model the restricted
    Boltzmann machine restricts, by removing the couplings within each layer.
    Trained the way Salakhutdinov and Hinton (2009) train deep Boltzmann
    machines: for each mini-batch a mean-field approximation of the hidden
    units given the data (the positive phase; ``positive_phase='gibbs'``
    samples them instead) and ``n_chains`` persistent Gibbs chains, advanced
    ``k`` sweeps per step, for the model's statistics (the negative phase). The
    difference of the two is the gradient step of a torch optimizer, run by
    skdl's training loop. :meth:`transform` returns the mean-field hidden
    probabilities, like :meth:`RBMTransformer.transform`.

    Gibbs sampling must visit the units one at a time (each depends on the
    others of its layer), and the hidden units given the data need an
    iterative approximation: this is why the RBM replaced it in practice.

    Read more in the :ref:`User Guide <boltzmann>`, and see the gallery example
    :ref:`sphx_glr_auto_examples_memory_plot_boltzmann_bars.py`.

    Parameters
    ----------
    n_components : int, default=16
        Number of (binary) hidden units.

    visible_units : {'bernoulli', 'gaussian'}, default='bernoulli'
        'bernoulli' for features in [0, 1]; 'gaussian' for standardized real
        features, modelled with unit variance and without couplings among
        themselves (their conditional is then a normal distribution).

    positive_phase : {'mean_field', 'gibbs'}, default='mean_field'
        The hidden units given the data: damped mean-field fixed-point updates
        (Salakhutdinov and Hinton's approach), or ``k`` Gibbs sweeps over the
        hidden units with the visible ones clamped (Hinton and Sejnowski's
        original, noisier).

    k : int, default=1
        Gibbs sweeps of the persistent chains (and of the clamped hidden units
        with ``positive_phase='gibbs'``) per update.

    n_chains : int, default=100
        Persistent Gibbs chains of the negative phase.

    mean_field_iter : int, default=10
        Mean-field updates of the hidden units per positive phase.

    solver : {'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'}, default='sgd'
        The torch optimizer of the sampled gradient (no 'lbfgs': the gradient
        is noisy and there is no objective for a line search).

    alpha : float, default=0.0001
        L2 penalty (weight decay) on the couplings, divided by the batch size
        as for the MLPs; it keeps them small, which helps the chains mix.

    batch_size : int or 'auto', default='auto'
        Rows per update; 'auto' is ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling'}, default='constant'
        Schedule: 'invscaling' sets ``learning_rate_init / (t + 1) ** power_t``
        after each epoch, ``t`` the samples seen, as stochastic approximation
        asks of a sampled gradient.

    learning_rate_init : float, default=0.01
        Initial learning rate.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=100
        Epochs. Training always runs them all: the loss is a sampled energy
        gap, not an objective that converges.

    shuffle : bool, default=True
        Draw a new order of the rows each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial couplings and chains, the order of the rows, the
        Gibbs sampling of training, of :meth:`gibbs` and :meth:`sample`, and
        the features :meth:`score_samples` flips. With an int, two fits give
        identical models (bitwise on CPU).

    verbose : bool or int, default=0
        When true, print scikit-learn's line after each epoch, ``Iteration N,
        loss = L``, with the surrogate loss (see Notes). For a progress bar,
        pass :class:`skdl.callbacks.EpochProgressBar` in ``callbacks``.

    warm_start : bool, default=False
        Start ``fit`` from the current couplings and chains.

    momentum : float, default=0.9
        Momentum of 'sgd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Nesterov momentum for 'sgd'.

    beta_1 : float, default=0.9
        Decay of the first moment estimates of 'adam' and 'adamw'.

    beta_2 : float, default=0.999
        Decay of the second moment estimates of 'adam' and 'adamw'.

    epsilon : float, default=1e-8
        Numerical stability term of 'adam', 'adamw', 'rmsprop' and 'adagrad'.

    device : str or torch.device, default='cpu'
        Where to train and transform: 'cpu', 'cuda', 'cuda:N', 'mps', or
        'auto'. A model fitted on a GPU unpickles on a machine without one.

    n_threads : int or None, default=None
        CPU threads of torch; -1 uses every core. None keeps torch's setting,
        except that the machine's small steps run on one thread.

    callbacks : list of skorch callbacks or (name, callback) tuples, \
default=None
        Extra :mod:`skorch.callbacks` to run during training.

    Attributes
    ----------
    ${history_attributes}

    ${input_attributes}

    See Also
    --------
    RBMTransformer : The restricted machine: no couplings within a layer.
    HopfieldNetwork : The deterministic associative memory it generalizes.

    Notes
    -----
    The training loss is the surrogate ``mean E(v, mu) - mean E(chains)``,
    whose gradient is the approximate negative log-likelihood gradient. It
    rises and falls around zero as the chains follow the model; it is no
    measure of fit (:meth:`log_likelihood` is, for small machines).

    References
    ----------
    D. H. Ackley, G. E. Hinton and T. J. Sejnowski, "A learning algorithm for
    Boltzmann machines", Cognitive Science 9, 1985. R. Salakhutdinov and
    G. Hinton, "Deep Boltzmann machines", AISTATS 2009. T. Tieleman,
    "Training restricted Boltzmann machines using approximations to the
    likelihood gradient", ICML 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from skdl import BoltzmannMachine
    >>> rng = np.random.RandomState(0)
    >>> X = (rng.rand(200, 6) < [0.9, 0.9, 0.9, 0.1, 0.1, 0.1]).astype(float)
    >>> machine = BoltzmannMachine(3, max_iter=30, random_state=0).fit(X)
    >>> machine.transform(X).shape
    (200, 3)
    >>> untrained = BoltzmannMachine(3, max_iter=1, learning_rate_init=1e-9,
    ...                              random_state=0).fit(X)
    >>> bool(machine.log_likelihood(X).mean() > untrained.log_likelihood(X).mean())
    True
    """

    _block_input_refused = "checks the range of all of X before it trains"

    _parameter_constraints: dict = {
        **{
            name: BaseTorchEstimator._parameter_constraints[name]
            for name in (
                "alpha",
                "batch_size",
                "learning_rate_init",
                "power_t",
                "max_iter",
                "shuffle",
                "random_state",
                "verbose",
                "warm_start",
                "momentum",
                "nesterovs_momentum",
                "beta_1",
                "beta_2",
                "epsilon",
                "device",
                "n_threads",
                "callbacks",
            )
        },
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "visible_units": [StrOptions({"bernoulli", "gaussian"})],
        "positive_phase": [StrOptions({"mean_field", "gibbs"})],
        "k": [Interval(Integral, 1, None, closed="left")],
        "n_chains": [Interval(Integral, 1, None, closed="left")],
        "mean_field_iter": [Interval(Integral, 0, None, closed="left")],
        "solver": [StrOptions(set(SOLVERS) - {"lbfgs"})],
        "learning_rate": [StrOptions({"constant", "invscaling"})],
    }

    _stops_on_convergence = False

    def __init__(
        self,
        n_components=16,
        *,
        visible_units="bernoulli",
        positive_phase="mean_field",
        k=1,
        n_chains=100,
        mean_field_iter=10,
        solver="sgd",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.01,
        power_t=0.5,
        max_iter=100,
        shuffle=True,
        random_state=None,
        verbose=0,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        device="cpu",
        n_threads=None,
        callbacks=None,
    ):
        self.n_components = n_components
        self.visible_units = visible_units
        self.positive_phase = positive_phase
        self.k = k
        self.n_chains = n_chains
        self.mean_field_iter = mean_field_iter
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.device = device
        self.n_threads = n_threads
        self.callbacks = callbacks

    # -- fitting ----------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the machine on ``X`` for ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data: values in [0, 1] for Bernoulli visible units.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit_and_seed_gibbs(X, incremental=False)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train for one epoch, keeping the couplings, chains and optimizer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit_and_seed_gibbs(X, incremental=True)

    def _fit_and_seed_gibbs(self, X, *, incremental: bool):
        self._fit(X, None, incremental=incremental)
        # the stream of gibbs() and sample(), continued by successive calls, and
        # one of its own after each fit (salted by every epoch trained so far)
        seed = seed_from_random_state(self.random_state, salt=len(self.history_))
        self._gibbs_rng = np.random.Generator(np.random.PCG64(seed))
        return self

    def _encode_targets(self, y, *, X, sample_weight, reset, incremental, classes):
        """No targets; Bernoulli units model values in [0, 1].

        Continued training (``warm_start``, ``partial_fit``) keeps the fitted
        machine's units, whatever ``visible_units`` says now.
        """
        units = self.visible_units if reset else self.net_.module_.visible_units
        values = X.data if sp.issparse(X) else X
        if units == "bernoulli" and values.size:
            low, high = float(values.min()), float(values.max())
            if low < 0 or high > 1:
                raise ValueError(
                    "BoltzmannMachine with visible_units='bernoulli' models features "
                    f"in [0, 1], but X holds values from {low:.4g} to {high:.4g}. "
                    "Scale X to [0, 1] with sklearn.preprocessing.MinMaxScaler, or "
                    "use visible_units='gaussian' for standardized real features."
                )
        return None, None

    def _build_module(self) -> BoltzmannModule:
        self._n_features_out = self.n_components
        return BoltzmannModule(
            self.n_features_in_,
            self.n_components,
            visible_units=self.visible_units,
            n_chains=self.n_chains,
            k=self.k,
            mean_field_iter=self.mean_field_iter,
            positive_phase=self.positive_phase,
        )

    def _initialize_module(self, module: BoltzmannModule, train) -> None:
        module.reset_parameters()  # in the fit's seeded block

    def _make_criterion(self) -> EnergyGapLoss:
        return EnergyGapLoss()

    _score_fn = None

    # -- inference --------------------------------------------------------------------
    @lazy_on_dask
    def transform(self, X) -> np.ndarray:
        """Mean-field probabilities of the hidden units given ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            The features; float32 for float32 input, float64 otherwise.
        """
        return self._features(X, lambda module, rows: module.mean_field(rows))

    @on_cpu_by_default
    def score_samples(self, X) -> np.ndarray:
        """Pseudo-likelihood of each row (Bernoulli units), or ``-F(v)`` (Gaussian).

        As :meth:`RBMTransformer.score_samples`, with the mean-field free
        energy ``F(v) = E(v, mu) - H(mu)`` (exact when the hidden units have no
        couplings among themselves): one randomly chosen feature of each row is
        flipped (chosen with ``numpy.random.RandomState(random_state)``), and
        the score is ``n_features * log(sigmoid(F(v_flipped) - F(v)))``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.

        Returns
        -------
        ndarray of shape (n_samples,)
            Higher is more probable.
        """
        rows = self._checked_input(X)
        if self.net_.module_.visible_units == "gaussian":

            def score(module, batch):
                return -module.free_energy(batch)

        else:
            random_state = self.random_state
            if not isinstance(random_state, np.random.RandomState):
                random_state = np.random.RandomState(random_state)
            n_samples, n_features = rows.shape
            flipped = torch.from_numpy(random_state.randint(0, n_features, n_samples))
            offset = [0]

            def score(module, batch):
                index = flipped[offset[0] : offset[0] + len(batch)]
                offset[0] += len(batch)
                return pseudo_likelihood(module.free_energy, batch, index)

        return self._forward(rows, input_float_dtype(X), apply=score)

    @on_cpu_by_default
    def log_likelihood(self, X) -> np.ndarray:
        """Exact ``log P(v)`` of each row, by summing over every state.

        Only for small machines with Bernoulli units: it enumerates the
        ``2 ** (n_features + n_components)`` joint states (at most 2 ** 20).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Binary rows.

        Returns
        -------
        ndarray of shape (n_samples,)
            The log-likelihoods.
        """
        check_is_fitted(self)
        module = self.net_.module_
        n_units = module.n_visible + module.n_hidden
        if module.visible_units != "bernoulli" or n_units > _ENUMERABLE_UNITS:
            raise ValueError(
                "log_likelihood enumerates every state of a small machine with "
                f"Bernoulli visible units (at most {_ENUMERABLE_UNITS} units); this "
                f"one has {n_units} units with {module.visible_units!r} visible "
                "units. Use score_samples (a pseudo-likelihood) instead."
            )
        X = self._checked_input(X)
        X = X.toarray() if sp.issparse(X) else X
        other = np.unique(X[~np.isin(X, (0, 1))])
        if len(other):
            raise ValueError(
                "log_likelihood takes binary rows (0 and 1), the states it sums "
                f"over; X also holds {other[0]:g}. Binarize X first."
            )
        rows = torch.as_tensor(X, dtype=torch.float64)
        with torch.no_grad():
            double = BoltzmannModule(module.n_visible, module.n_hidden, n_chains=1)
            double.double()
            double.weight.copy_(module.weight)
            double.bias.copy_(module.bias)
            return double.log_likelihood(rows).numpy()

    @on_cpu_by_default
    def gibbs(self, v) -> np.ndarray:
        """One Gibbs sweep from ``v``: the hidden units, then the visible ones.

        The hidden units start from a sample of their mean-field probabilities
        given ``v``; then each unit in turn, hidden first, is drawn from its
        conditional given all the others. Successive calls continue one random
        stream, seeded by ``random_state`` at fit.

        Parameters
        ----------
        v : {array-like, sparse matrix} of shape (n_samples, n_features)
            Values of the visible units to start from.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The new visible values: 0/1 for Bernoulli units, real for Gaussian;
            float32 for float32 input, float64 otherwise.
        """
        return self._features(v, self._sweep)

    @on_cpu_by_default
    def sample(
        self, n_samples: int = 1, *, n_sweeps: int = 1000, random_state=None
    ) -> np.ndarray:
        """Draw visible vectors from the model by Gibbs sampling.

        Each sample is a chain started from a random state and run for
        ``n_sweeps`` sweeps over every unit.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples (independent chains).
        n_sweeps : int, default=1000
            Sweeps of each chain before its visible units are read.
        random_state : int, RandomState instance or None, default=None
            Seeds the chains, as in :meth:`sklearn.neighbors.KernelDensity.sample`:
            the same ``random_state`` draws the same samples. None continues
            the random stream of :meth:`gibbs`.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The samples.
        """
        check_is_fitted(self)
        n_samples = check_count(n_samples, "n_samples", 1)
        n_sweeps = check_count(n_sweeps, "n_sweeps", 1)
        module = self.net_.module_
        n_visible, n_units = module.n_visible, module.n_visible + module.n_hidden
        rng = (
            self._gibbs_rng
            if random_state is None
            else np.random.Generator(
                np.random.PCG64(seed_from_random_state(random_state))
            )
        )
        with memory_advice(self._predicting_advice()):
            states = (rng.random((n_samples, n_units)) < 0.5).astype(np.float32)
            if module.visible_units == "gaussian":
                states[:, :n_visible] = rng.standard_normal(
                    (n_samples, n_visible), dtype=np.float32
                )

        def run(module, rows):
            module.gibbs(rows, range(n_units), n_sweeps, *self._draws(rows, rng))
            return rows[:, :n_visible]

        return self._forward(states, apply=run)

    def _sweep(self, module: BoltzmannModule, v: torch.Tensor) -> torch.Tensor:
        uniform, normal = self._draws(v)
        hidden = (uniform((len(v), module.n_hidden)) < module.mean_field(v)).float()
        states = torch.cat([v, hidden], dim=1)
        n_units = len(module.bias)
        order = [*range(module.n_visible, n_units), *range(module.n_visible)]
        module.gibbs(states, order, 1, uniform, normal)
        return states[:, : module.n_visible]

    def _draws(self, like: torch.Tensor, rng=None):
        """Uniform and normal draws from ``rng`` (by default the sampler's
        stream), on ``like``'s device.
        """
        rng = self._gibbs_rng if rng is None else rng

        def uniform(shape):
            return torch.from_numpy(rng.random(shape, dtype=np.float32)).to(like)

        def normal(shape):
            draws = rng.standard_normal(shape, dtype=np.float32)
            return torch.from_numpy(draws).to(like)

        return uniform, normal
