"""Restricted Boltzmann machines and deep belief stacks, on PyTorch.

:class:`RBMTransformer` is a drop-in replacement for scikit-learn's
``BernoulliRBM`` that adds CD-k, plain CD, Gaussian visible units, momentum,
weight decay and a device. :class:`DBNTransformer` stacks RBMs greedily.

An RBM is trained by contrastive divergence, not by backpropagation of a loss:
there is no criterion, optimizer, validation split or stopping rule for skorch's
loop to drive, and at scikit-learn's batch size of 10 its per-batch overhead
would cost more than the update. The estimators share skdl's parameter
validation, input checks, device resolution, local seeding and restore-on-failure
conventions, and train with :class:`~skdl.modules.ContrastiveDivergence`, an
in-place update on buffers allocated once per fit.
"""

from __future__ import annotations

import copy
import time
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_is_fitted

from .._blocks import lazy_on_dask, refuse_block_input
from .._net import to_rows
from ..modules import RBM, ContrastiveDivergence, pseudo_likelihood
from ..utils import (
    out_of_memory_error,
    resolve_device,
    seed_from_random_state,
    torch_seeded,
)
from ..utils._divergence import divergence_error, find_divergence
from ..utils._docstrings import fill_doc
from ..utils._sklearn import Interval, StrOptions, _fit_context
from ..utils._state import attributes_restored_on_error
from ..utils._torch import (
    N_THREADS_CONSTRAINT,
    fitted_device_or_cpu,
    is_out_of_memory,
    memory_advice,
    on_cpu_by_default,
    threads_for_steps,
)
from ..utils._validation import (
    check_float32_range,
    check_layer_sizes,
    validate_data,
)

__all__ = ["DBNTransformer", "RBMTransformer"]

_TRAINING_CONSTRAINTS: dict = {
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "n_iter": [Interval(Integral, 0, None, closed="left")],
    "k": [Interval(Integral, 1, None, closed="left")],
    "persistent": ["boolean"],
    "visible_units": [StrOptions({"bernoulli", "gaussian"})],
    "momentum": [Interval(Real, 0, 1, closed="left")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "sample_visible": ["boolean"],
    "shuffle": ["boolean"],
    "verbose": ["verbose"],
    "random_state": ["random_state"],
    "device": [str, torch.device],
    "n_threads": N_THREADS_CONSTRAINT,
}

# rows per forward pass when transforming or scoring
_CHUNK = 8192

# one matrix product of a training batch smaller than this many multiply-adds runs
# faster on one thread: a second one only adds a barrier per kernel (and stalls
# for tens of milliseconds when the machine is busy)
_SINGLE_THREAD_WORK = 2**22


class _Noise:
    """Random numbers for the Gibbs chains, drawn from a seed.

    On the CPU, NumPy's PCG64 fills float32 arrays several times faster than
    ``torch.rand``, and random numbers are most of the work of a small batch; on
    an accelerator, torch's generator draws them on the device.
    """

    def __init__(self, seed: int, device: torch.device):
        self.device = device
        if device.type == "cpu":
            self.numpy = np.random.Generator(np.random.PCG64(seed))
        else:
            self.numpy = None
            self.torch = torch.Generator(device).manual_seed(seed)

    def uniform(self, shape) -> torch.Tensor:
        if self.numpy is not None:
            return torch.from_numpy(self.numpy.random(shape, dtype=np.float32))
        return torch.rand(shape, generator=self.torch, device=self.device)

    def normal(self, shape) -> torch.Tensor:
        if self.numpy is not None:
            return torch.from_numpy(self.numpy.standard_normal(shape, dtype=np.float32))
        return torch.randn(shape, generator=self.torch, device=self.device)

    def permutation(self, n: int) -> torch.Tensor:
        if self.numpy is not None:
            return torch.from_numpy(self.numpy.permutation(n))
        return torch.randperm(n, generator=self.torch, device=self.device)


def _run_epoch(trainer: ContrastiveDivergence, rows, order, noise: _Noise) -> None:
    """One pass of ``trainer`` over ``rows`` in ``order``, in mini-batches.

    Noise is drawn for blocks of batches at once (16 MB at most), since one large
    draw costs less than many small ones.
    """
    size = trainer.batch_size
    batches = order.split(size)
    shape_visible, shape_hidden = trainer.noise_shapes(size)
    per_batch = int(np.prod(shape_visible or 0) + np.prod(shape_hidden))
    block = max(1, 2**22 // per_batch)
    dense = isinstance(rows, torch.Tensor)
    gaussian = trainer.rbm.visible_units == "gaussian"
    for first in range(0, len(batches), block):
        chunk = batches[first : first + block]
        hidden_noise = noise.uniform((len(chunk), *shape_hidden)).unbind(0)
        visible_noise = [None] * len(chunk)
        if shape_visible is not None:
            draw = noise.normal if gaussian else noise.uniform
            visible_noise = draw((len(chunk), *shape_visible)).unbind(0)
        for index, visible, hidden in zip(
            chunk, visible_noise, hidden_noise, strict=True
        ):
            m = len(index)
            target = trainer.positive(m)
            if dense:
                torch.index_select(rows, 0, index, out=target)
            else:
                target.copy_(rows[index])
            if m != size and not trainer.persistent:
                hidden = hidden[:, :m]
                visible = None if visible is None else visible[:, :m]
            trainer.update(m, visible, hidden)


def _map_rows(X, modules: list[RBM], function, n_threads) -> np.ndarray:
    """``function(rows, start)`` over chunks of ``X``, concatenated.

    The chunks go to the device of ``modules`` (the RBMs that ``function`` runs);
    their size sets the thread count, as in training.
    """
    device = modules[0].flat.device
    chunk = min(X.shape[0], _CHUNK)
    work = chunk * sum(module.n_visible * module.n_hidden for module in modules)
    with (
        memory_advice(
            f"Ran out of memory on {device} while processing chunks of "
            f"{chunk} rows. Pass fewer rows per call."
        ),
        torch.inference_mode(),
        threads_for_steps(work, _SINGLE_THREAD_WORK, device, n_threads),
    ):
        rows = to_rows(_as_float32(X), device)
        outputs = [
            function(rows[start : start + chunk], start)
            for start in range(0, len(rows), chunk)
        ]
        return torch.cat(outputs).cpu().numpy()


def _as_float32(X):
    """``X`` in float32, where the RBM computes; values beyond its range raise."""
    check_float32_range(
        X.data if sp.issparse(X) else X,
        subject="X holds",
        advice="the RBM computes. Scale X first (e.g. with MinMaxScaler).",
    )
    return X.astype(np.float32, copy=False)


def _numpy_random_state(random_state) -> np.random.RandomState:
    """scikit-learn's ``check_random_state``, except that None draws fresh entropy
    instead of sharing NumPy's global generator.
    """
    if isinstance(random_state, np.random.RandomState):
        return random_state
    return np.random.RandomState(random_state)


class _RBMBase(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Input checks shared by the RBM and the DBN."""

    _parameter_constraints: dict = dict(_TRAINING_CONSTRAINTS)
    # why fit cannot read X block by block (see skdl._blocks.refuse_block_input)
    _block_input_refused = "checks the range of all of X before it trains"

    def _validate(self, X, *, reset: bool):
        return validate_data(
            self,
            X,
            accept_sparse="csr",
            dtype=(np.float64, np.float32),
            reset=reset,
        )

    def _prepare(self, X):
        """``X`` validated for inference, once the estimator is fitted."""
        check_is_fitted(self)
        with memory_advice(
            f"{type(self).__name__} ran out of memory while reading X. Pass fewer "
            "rows per call."
        ):
            return self._validate(X, reset=False)

    def _check_training_values(self, X) -> None:
        """Bernoulli units model values in [0, 1]: say what to do with others.

        Only training data are checked: new data scaled with a scaler fitted on the
        training data may fall slightly outside [0, 1], and the hidden
        probabilities are still defined for it.
        """
        if self.visible_units != "bernoulli":
            return
        values = X.data if sp.issparse(X) else X
        if values.size == 0:
            return
        low, high = float(values.min()), float(values.max())
        if low < 0 or high > 1:
            raise ValueError(
                f"{type(self).__name__} with visible_units='bernoulli' models "
                "features in [0, 1] (binary values or probabilities), but X holds "
                f"values from {low:.4g} to {high:.4g}. Scale X to [0, 1] with "
                "sklearn.preprocessing.MinMaxScaler, or use "
                "visible_units='gaussian' for real-valued features (standardized, "
                "e.g. with StandardScaler)."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


@fill_doc
class RBMTransformer(_RBMBase):
    """Restricted Boltzmann machine feature learner, trained with PyTorch.

    A drop-in replacement for :class:`sklearn.neural_network.BernoulliRBM`: the
    same parameters, defaults, fitted attributes and algorithm (persistent
    contrastive divergence with one Gibbs step), plus CD-k, plain CD, Gaussian
    visible units for real-valued data, momentum, weight decay and a GPU
    ``device``. :meth:`transform` returns the hidden units' probabilities
    ``P(h = 1 | v)``, to feed a linear classifier, for instance.

    Read more in the :ref:`User Guide <rbm>`, and see the gallery example
    :ref:`sphx_glr_auto_examples_rbm_plot_rbm_logistic_digits.py`.

    Parameters
    ----------
    n_components : int, default=256
        Number of (binary) hidden units.

    ${rbm_parameters}

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Weight matrix ``W`` (float32, read from ``module_``).

    intercept_hidden_ : ndarray of shape (n_components,)
        Biases of the hidden units (float32).

    intercept_visible_ : ndarray of shape (n_features,)
        Biases of the visible units (float32).

    h_samples_ : ndarray of shape (n_chains, n_components)
        Hidden states (0/1, float32) of the persistent Gibbs chains
        (``batch_size`` of them, as in scikit-learn); zeros with
        ``persistent=False``.

    n_iter_ : int
        Epochs run by the last call: ``n_iter`` after :meth:`fit`, 1 after
        :meth:`partial_fit`.

    module_ : skdl.modules.RBM
        The PyTorch module that holds the weights, the momentum and the chains.

    ${input_attributes}

    See Also
    --------
    DBNTransformer : A greedy stack of RBMs.
    sklearn.neural_network.BernoulliRBM : The CPU-only original.

    Notes
    -----
    Differences from scikit-learn's ``BernoulliRBM``: the negative phase takes
    the visible units' probabilities rather than samples unless
    ``sample_visible=True``, which gives better features; the rows are shuffled
    each epoch unless ``shuffle=False``; on a short last batch the negative
    statistics are averaged over the chains instead of being divided by the
    batch's rows; ``partial_fit`` makes one pass over ``X`` in mini-batches of
    ``batch_size`` (scikit-learn makes one update on all of ``X``); ``gibbs``
    returns 0/1 floats rather than booleans.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.preprocessing import minmax_scale
    >>> from skdl import RBMTransformer
    >>> X = minmax_scale(load_digits().data)
    >>> rbm = RBMTransformer(32, learning_rate=0.06, n_iter=5, random_state=0)
    >>> rbm.fit_transform(X).shape
    (1797, 32)
    >>> untrained = RBMTransformer(32, n_iter=0, random_state=0).fit(X)
    >>> bool(rbm.score_samples(X).mean() > untrained.score_samples(X).mean())
    True
    """

    _parameter_constraints: dict = {
        **_RBMBase._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_components=256,
        *,
        learning_rate=0.1,
        batch_size=10,
        n_iter=10,
        k=1,
        persistent=True,
        visible_units="bernoulli",
        momentum=0.0,
        weight_decay=0.0,
        sample_visible=False,
        shuffle=True,
        verbose=0,
        random_state=None,
        device="cpu",
        n_threads=None,
    ):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.k = k
        self.persistent = persistent
        self.visible_units = visible_units
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.sample_visible = sample_visible
        self.shuffle = shuffle
        self.verbose = verbose
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads

    # -- fitting ----------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the RBM on ``X`` for ``n_iter`` epochs, from new weights.

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
        return self._fit(X, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train for one epoch over ``X``, keeping the weights, momentum and chains.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data: values in [0, 1] for Bernoulli visible units.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, incremental=True)

    def _fit(self, X, *, incremental: bool):
        """Validate, build or reuse the module and train it.

        A call that raises leaves the estimator exactly as it was before it.
        """
        refuse_block_input(self, X)
        fitted = hasattr(self, "module_")
        fresh = not (incremental and fitted)
        saved_state = None
        if not fresh:
            saved_state = copy.deepcopy(self.module_.state_dict())
        try:
            with attributes_restored_on_error(self):
                X = self._validate(X, reset=fresh)
                self._check_training_values(X)
                if fresh:
                    device = resolve_device(self.device)
                else:
                    self._check_architecture()
                    device = self.module_.flat.device
                # each partial_fit call draws from a stream of its own
                seed = seed_from_random_state(
                    self.random_state, salt=0 if fresh else self._epochs_trained
                )
                with torch_seeded(seed, device):
                    if fresh:
                        module = RBM(
                            X.shape[1],
                            self.n_components,
                            self.visible_units,
                            n_chains=self.batch_size,
                        ).to(device)
                        module.reset_parameters()
                        self._epochs_trained = 0
                    else:
                        module = self.module_
                    self.module_ = module
                    self._n_features_out = self.n_components
                    self._train(X, seed, 1 if incremental else self.n_iter)
        except BaseException as exc:
            if saved_state is not None:
                self.module_.load_state_dict(saved_state)
            if is_out_of_memory(exc):
                raise out_of_memory_error(
                    exc,
                    f"{type(self).__name__} ran out of memory while training "
                    f"(batch_size={self.batch_size}). Lower batch_size or "
                    "n_components.",
                ) from exc
            raise
        # a stream of its own: the training noise was drawn from PCG64(seed)
        self._gibbs_rng = np.random.Generator(np.random.PCG64(seed).jumped())
        return self

    def _check_architecture(self) -> None:
        module = self.module_
        if (module.n_hidden, module.visible_units) != (
            self.n_components,
            self.visible_units,
        ):
            raise ValueError(
                f"partial_fit continues the fitted RBM, which has n_components="
                f"{module.n_hidden} and visible_units={module.visible_units!r}; got "
                f"n_components={self.n_components} and visible_units="
                f"{self.visible_units!r}. Call fit to train a new one."
            )

    def _train(self, X, seed: int, epochs: int) -> None:
        module = self.module_
        device = module.flat.device
        rows = to_rows(_as_float32(X), device)
        trainer = ContrastiveDivergence(
            module,
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            k=self.k,
            persistent=self.persistent,
            momentum=self.momentum,
            weight_decay=self.weight_decay,
            sample_visible=self.sample_visible,
        )
        noise = _Noise(seed, device)
        work = (self.batch_size + len(module.chain)) * X.shape[1] * self.n_components
        with threads_for_steps(work, _SINGLE_THREAD_WORK, device, self.n_threads):
            for epoch in range(1, epochs + 1):
                begin = time.perf_counter()
                if self.shuffle:
                    order = noise.permutation(len(rows))
                else:
                    order = torch.arange(len(rows), device=device)
                _run_epoch(trainer, rows, order, noise)
                problem = find_divergence([module.flat])
                if problem:
                    gaussian = self.visible_units == "gaussian"
                    raise divergence_error(
                        type(self).__name__,
                        epoch,
                        problem,
                        f"Lower learning_rate (it was {self.learning_rate:g})"
                        + (
                            "; Gaussian visible units assume features with unit "
                            "variance, so standardize X (e.g. with StandardScaler)."
                            if gaussian
                            else "."
                        ),
                    )
                if self.verbose:
                    self._print_iteration(X, epoch, time.perf_counter() - begin)
        self.n_iter_ = epochs
        self._epochs_trained += epochs

    def _print_iteration(self, X, epoch: int, seconds: float) -> None:
        """scikit-learn's line for ``verbose``, with the training data's monitor."""
        label = (
            "pseudo-likelihood"
            if self.visible_units == "bernoulli"
            else "reconstruction error"
        )
        print(
            f"[{type(self).__name__}] Iteration {epoch}, {label} = "
            f"{self._monitor(X):.2f}, time = {seconds:.2f}s"
        )

    def _monitor(self, X) -> float:
        if self.visible_units == "bernoulli":
            return float(self.score_samples(X).mean())
        # np.square, not ** 2: for a sparse X the difference is a np.matrix,
        # whose ** is the matrix power
        return float(np.mean(np.square(self.reconstruct(X) - X)))

    # -- fitted weights ------------------------------------------------------------
    def _fitted_module(self):
        if "module_" not in self.__dict__:
            raise AttributeError(
                f"This {type(self).__name__} instance is not fitted yet; it has no "
                "weights."
            )
        return self.module_

    def _read(self, tensor) -> np.ndarray:
        return tensor.detach().cpu().numpy().copy()

    @property
    def components_(self) -> np.ndarray:
        """Weight matrix, ``(n_components, n_features)``."""
        return self._read(self._fitted_module().weight)

    @property
    def intercept_hidden_(self) -> np.ndarray:
        """Biases of the hidden units."""
        return self._read(self._fitted_module().hidden_bias)

    @property
    def intercept_visible_(self) -> np.ndarray:
        """Biases of the visible units."""
        return self._read(self._fitted_module().visible_bias)

    @property
    def h_samples_(self) -> np.ndarray:
        """Hidden states of the persistent chains."""
        return np.abs(self._read(self._fitted_module().chain))

    # -- inference -----------------------------------------------------------------
    @lazy_on_dask
    def transform(self, X) -> np.ndarray:
        """Hidden probabilities ``P(h = 1 | v = X)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            The features; float32 for float32 input, float64 otherwise.
        """
        X = self._prepare(X)
        out = _map_rows(
            X, [self.module_], lambda rows, _: self.module_(rows), self.n_threads
        )
        return out.astype(X.dtype, copy=False)

    @on_cpu_by_default
    def reconstruct(self, X) -> np.ndarray:
        """Mean-field reconstruction ``E[v | h = P(h | v = X)]``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The reconstruction; its distance to ``X`` measures what the hidden
            units keep.
        """
        X = self._prepare(X)
        module = self.module_
        out = _map_rows(
            X,
            [self.module_],
            lambda rows, _: module.visible_mean(module(rows)),
            self.n_threads,
        )
        return out.astype(X.dtype, copy=False)

    @on_cpu_by_default
    def gibbs(self, v) -> np.ndarray:
        """One Gibbs step from ``v``: sample ``h ~ P(h | v)``, then ``v ~ P(v | h)``.

        Successive calls continue one random stream, seeded by ``random_state``
        at fit.

        Parameters
        ----------
        v : {array-like, sparse matrix} of shape (n_samples, n_features)
            Values of the visible layer to start from.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The new visible values: 0/1 for Bernoulli units, real for Gaussian.
        """
        v = self._prepare(v)
        module = self.module_
        rng = self._gibbs_rng

        def gibbs_step(rows, _):
            n = len(rows)
            u_hidden = rng.random((n, module.n_hidden), dtype=np.float32)
            h = (torch.from_numpy(u_hidden).to(rows.device) < module(rows)).float()
            if module.visible_units == "bernoulli":
                noise = rng.random((n, module.n_visible), dtype=np.float32)
            else:
                noise = rng.standard_normal((n, module.n_visible), np.float32)
            return module.sample_visible(h, torch.from_numpy(noise).to(rows.device))

        return _map_rows(v, [module], gibbs_step, self.n_threads).astype(
            v.dtype, copy=False
        )

    @on_cpu_by_default
    def free_energy(self, X) -> np.ndarray:
        """Free energy ``F(v) = -log sum_h exp(-E(v, h))`` of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.

        Returns
        -------
        ndarray of shape (n_samples,)
            Lower is more probable: ``P(v)`` is proportional to ``exp(-F(v))``.
        """
        X = self._prepare(X)
        module = self.module_
        return _map_rows(
            X, [module], lambda rows, _: module.free_energy(rows), self.n_threads
        )

    @on_cpu_by_default
    def score_samples(self, X) -> np.ndarray:
        """Pseudo-likelihood of each row (Bernoulli units), or ``-F(v)`` (Gaussian).

        For Bernoulli visible units, as in scikit-learn: one randomly chosen
        feature of each row is flipped, and the score is ``n_features *
        log(sigmoid(F(v_flipped) - F(v)))``, a stochastic proxy for the
        log-likelihood. The features are chosen with
        ``numpy.random.RandomState(random_state)``, so an int ``random_state``
        flips the same ones on each call, and the same ones as scikit-learn's
        ``BernoulliRBM``. For Gaussian units a flip has no meaning, and the score
        is the negative free energy, the log-density up to the (intractable) log
        partition function.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data; binary for a meaningful pseudo-likelihood.

        Returns
        -------
        ndarray of shape (n_samples,)
            Higher is more probable.
        """
        X = self._prepare(X)
        module = self.module_
        if module.visible_units == "gaussian":

            def score(rows, start):
                return -module.free_energy(rows)

        else:
            n_samples, n_features = X.shape
            flipped = _numpy_random_state(self.random_state).randint(
                0, n_features, n_samples
            )
            flipped = torch.from_numpy(flipped)

            def score(rows, start):
                index = flipped[start : start + len(rows)]
                return pseudo_likelihood(module.free_energy, rows, index)

        scores = _map_rows(X, [module], score, self.n_threads)
        return scores.astype(X.dtype, copy=False)  # the RBM computes in float32

    # -- the pretraining protocol of MLPClassifier and MLPRegressor ----------------
    def _layer_sizes(self) -> list[int]:
        return [self.n_components]

    def _encoder_activations(self) -> list[str]:
        return ["logistic"]

    def _encoder_layers(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        weight, hidden_bias, _ = self.module_.split(self.module_.flat)
        return [(weight, hidden_bias)]

    # -- pickling --------------------------------------------------------------------
    def __getstate__(self):
        # a copy: scikit-learn's __getstate__ returns the instance's own __dict__,
        # and pickling must leave a model on a GPU as it was
        state = dict(super().__getstate__())
        module = state.get("module_")
        if module is not None and module.flat.device.type != "cpu":
            state["module_"] = copy.deepcopy(module).cpu()
            state["_fitted_device"] = str(module.flat.device)
        return state

    def __setstate__(self, state):
        device = state.pop("_fitted_device", None)
        super().__setstate__(state)
        if device is not None:
            self.module_.to(fitted_device_or_cpu(device, "Unpickling the model"))


@fill_doc
class DBNTransformer(_RBMBase):
    """Deep belief network features: a greedy stack of RBMs, trained with PyTorch.

    Each layer is an :class:`RBMTransformer` trained on the hidden probabilities
    of the layer below (Hinton, Osindero and Teh, 2006); :meth:`transform` runs
    the data up the stack and returns the top layer's probabilities. The first
    layer takes ``visible_units``; the layers above see probabilities in [0, 1]
    and use Bernoulli units. Every layer is trained with the same settings.

    Read more in the :ref:`User Guide <rbm>`, and see the gallery example
    :ref:`sphx_glr_auto_examples_rbm_plot_dbn_digits.py`.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int or int, default=(256, 128)
        Hidden units of each RBM, bottom to top.

    ${rbm_parameters}

    Attributes
    ----------
    rbms_ : list of RBMTransformer
        The fitted layers, bottom to top.

    ${input_attributes}

    See Also
    --------
    RBMTransformer : One layer.
    MLPClassifier : Fine-tunes a DBN as a classifier (its ``pretrain`` parameter).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.preprocessing import minmax_scale
    >>> from skdl import DBNTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> dbn = DBNTransformer((32, 16), learning_rate=0.05, n_iter=2, random_state=0)
    >>> dbn.fit_transform(minmax_scale(X)).shape
    (1797, 16)
    """

    _parameter_constraints: dict = {
        **_RBMBase._parameter_constraints,
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
    }

    def __init__(
        self,
        hidden_layer_sizes=(256, 128),
        *,
        learning_rate=0.1,
        batch_size=10,
        n_iter=10,
        k=1,
        persistent=True,
        visible_units="bernoulli",
        momentum=0.0,
        weight_decay=0.0,
        sample_visible=False,
        shuffle=True,
        verbose=0,
        random_state=None,
        device="cpu",
        n_threads=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.k = k
        self.persistent = persistent
        self.visible_units = visible_units
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.sample_visible = sample_visible
        self.shuffle = shuffle
        self.verbose = verbose
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads

    def _layer_sizes(self) -> list[int]:
        return check_layer_sizes(self.hidden_layer_sizes)

    def _encoder_activations(self) -> list[str]:
        return ["logistic"] * len(self._layer_sizes())

    def _encoder_layers(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        return [layer for rbm in self.rbms_ for layer in rbm._encoder_layers()]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the layers one after the other, bottom to top.

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
        refuse_block_input(self, X)
        with attributes_restored_on_error(self):
            sizes = self._layer_sizes()
            X = self._validate(X, reset=True)
            self._check_training_values(X)
            seed = seed_from_random_state(self.random_state)
            layer_seeds = np.random.SeedSequence(seed).generate_state(len(sizes))
            settings = {
                name: getattr(self, name)
                for name in _TRAINING_CONSTRAINTS
                if name not in ("random_state", "visible_units")
            }
            rbms = []
            for layer, (size, layer_seed) in enumerate(
                zip(sizes, layer_seeds, strict=True)
            ):
                if self.verbose:
                    print(
                        f"[{type(self).__name__}] layer {layer + 1}/{len(sizes)}: "
                        f"{X.shape[1]} -> {size} units"
                    )
                rbm = RBMTransformer(
                    size,
                    visible_units=self.visible_units if layer == 0 else "bernoulli",
                    random_state=int(layer_seed),
                    **settings,
                )
                rbms.append(rbm.fit(X))
                if layer + 1 < len(sizes):
                    X = rbm.transform(X)
        self.rbms_ = rbms
        self._n_features_out = sizes[-1]
        return self

    @lazy_on_dask
    def transform(self, X) -> np.ndarray:
        """Top-layer hidden probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.

        Returns
        -------
        ndarray of shape (n_samples, hidden_layer_sizes[-1])
            The features; float32 for float32 input, float64 otherwise.
        """
        X = self._prepare(X)
        modules = [rbm.module_ for rbm in self.rbms_]

        def up(rows, _):
            for module in modules:
                rows = module(rows)
            return rows

        out = _map_rows(X, modules, up, self.n_threads)
        return out.astype(X.dtype, copy=False)
