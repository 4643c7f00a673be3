"""Learning vector quantization: Kohonen's online rules and the generalized family."""

from __future__ import annotations

import functools
import math
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._blocks import lazy_on_dask
from .._net import SkdlNet, at_least_float32, host_rows
from .._warnings import external_stacklevel
from ..base import (
    NETWORK_OPTION_CONSTRAINTS,
    BaseTorchEstimator,
    TorchClassifierMixin,
    _weighted_mean,
)
from ..callbacks import LinearDecayLR
from ..modules import GLVQLoss, LVQModule, NearestPrototypeError
from ..utils._docstrings import fill_doc
from ..utils._sklearn import Interval, StrOptions, _fit_context
from ..utils._torch import threads_for_steps
from ..utils._validation import input_float_dtype, validate_data

__all__ = ["LVQClassifier"]

# variant -> metric of the module; the first four are Kohonen's online rules
_ONLINE = ("lvq1", "olvq1", "lvq2.1", "lvq3")
_METRICS = {"glvq": "euclidean", "grlvq": "relevance", "gmlvq": "matrix"}
_METRICS.update(dict.fromkeys(_ONLINE, "euclidean"))
# what the online rules, which step without an optimizer, refuse: solvers added
# with their options (the older solvers stay accepted, with a FutureWarning that
# they have no effect), and for 'olvq1', whose rates are per prototype, the
# schedules added with them
_OPTIMIZER_ONLY_SOLVERS = ("lbfgs", "adadelta", "adamax", "nadam")
_DECAY_SCHEDULES = ("exponential", "step", "plateau")
# multiply-adds per training step from which torch may use several CPU threads
_THREADED_WORK = 2**20


# -- Kohonen's online rules: one sample at a time, in order --------------------------
class _OnlineRule:
    """An online LVQ update, applied sample by sample to the prototypes.

    ``update`` gets the prototypes ``W`` (updated in place), their class indices,
    one sample ``x`` of class ``c``, its squared distances ``d`` to every
    prototype and the sample's step ``alpha`` (see ``steps``); it returns whether
    the nearest prototype had another class (the online error).
    """

    def steps(self, lr, weights, n_samples):
        """Step of each sample: the learning rate times its relative weight.

        Capped at 1: a larger step would jump past the sample.
        """
        if weights is None:
            return np.full(n_samples, min(lr, 1.0))
        return np.minimum(lr * weights, 1.0)

    def run(self, W, labels, X, y, steps, rates):
        wrong = np.empty(len(X), dtype=bool)
        for i, (x, c, alpha) in enumerate(zip(X, y, steps, strict=True)):
            diff = x - W
            d = np.einsum("pf,pf->p", diff, diff)
            wrong[i] = self.update(W, labels, x, c, d, alpha, rates)
        return wrong


class _LVQ1(_OnlineRule):
    """Kohonen's LVQ1: the winner moves toward the sample, or away if wrong."""

    def update(self, W, labels, x, c, d, alpha, rates):
        j = d.argmin()
        wrong = labels[j] != c
        W[j] += (-alpha if wrong else alpha) * (x - W[j])
        return wrong


class _OLVQ1(_OnlineRule):
    """OLVQ1: LVQ1 with a learning rate per prototype (LVQ_PAK's order).

    The winner moves by its own rate ``a``, which then becomes ``a / (1 + a)``
    after a right decision and ``a / (1 - a)`` after a wrong one, never above
    the initial rate.
    """

    def __init__(self, rate_max):
        self.rate_max = rate_max

    def steps(self, lr, weights, n_samples):
        # the global learning rate is not used: alpha is the relative weight
        return np.ones(n_samples) if weights is None else weights.astype(np.float64)

    def update(self, W, labels, x, c, d, alpha, rates):
        j = d.argmin()
        wrong = labels[j] != c
        rate = float(rates[j])
        step = min(rate * alpha, 1.0)
        W[j] += (-step if wrong else step) * (x - W[j])
        if wrong:
            rate = rate / (1.0 - rate) if rate < 1.0 else math.inf
        else:
            rate = rate / (1.0 + rate)
        rates[j] = min(rate, self.rate_max)
        return wrong


class _LVQ21(_OnlineRule):
    """LVQ2.1, and LVQ3 when ``epsilon`` is given.

    The two nearest prototypes ``i`` and ``j`` are updated when exactly one has
    the sample's class and the sample lies in the window
    ``min(d_i / d_j, d_j / d_i) > (1 - window) / (1 + window)`` (Euclidean
    distances): the right one moves toward the sample, the wrong one away. LVQ3
    also moves both toward the sample by ``epsilon * alpha`` when both have its
    class.
    """

    def __init__(self, window, epsilon=None):
        self.threshold = (1.0 - window) / (1.0 + window)
        self.epsilon = epsilon

    def update(self, W, labels, x, c, d, alpha, rates):
        i, j = np.argsort(d, kind="stable")[:2]
        label_i, label_j = labels[i], labels[j]
        if label_i != label_j:
            if (label_i == c or label_j == c) and self._in_window(d[i], d[j]):
                if label_j == c:
                    i, j = j, i
                W[i] += alpha * (x - W[i])
                W[j] -= alpha * (x - W[j])
        elif self.epsilon is not None and label_i == c:
            step = self.epsilon * alpha
            W[i] += step * (x - W[i])
            W[j] += step * (x - W[j])
        return label_i != c

    def _in_window(self, d_near, d_far):
        # d are squared distances: the Euclidean ratio is the square root
        if d_far <= 0:
            return True
        return math.sqrt(d_near / d_far) > self.threshold


class _LVQNet(SkdlNet):
    """SkdlNet whose training step applies an online rule instead of a gradient.

    With ``rule=None`` it trains by gradient descent like any skdl net (the
    GLVQ family). With a rule, each batch is processed sample by sample, in the
    batch's order, on NumPy views of the prototypes; the batch "loss" is the
    online error rate. The optimizer is never stepped: it only carries the
    learning rate that the schedules set.
    """

    def __init__(self, *args, rule=None, n_threads=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = rule
        self.n_threads = n_threads

    def fit_epochs(self, train, valid, epochs):
        # a gradient step multiplies a batch by a few prototypes: one thread
        # unless the batch is large; the online rules step one sample at a
        # time in NumPy, always on one thread
        n_prototypes, n_features = self.module_.prototype_coordinates.shape
        work = 0 if self.rule else train.batch_size * n_prototypes * n_features
        device = torch.device(self.device)
        with threads_for_steps(work, _THREADED_WORK, device, self.n_threads):
            return super().fit_epochs(train, valid, epochs)

    def train_step(self, batch, **fit_params):
        if self.rule is None:
            return super().train_step(batch, **fit_params)
        Xi, yi, wi = batch
        module = self.module_
        lr = self.optimizer_.param_groups[0]["lr"]
        X = Xi.detach().cpu().numpy()
        weights = None if wi is None else wi.detach().cpu().numpy()
        steps = self.rule.steps(lr, weights, len(X))
        with torch.no_grad():
            prototypes = module.prototypes().cpu()
            rates = module.prototype_learning_rates.cpu()
            W = prototypes.numpy()  # a view: the rule updates `prototypes`
            # overflow shows up as non-finite prototypes, which the training
            # loop reports as divergence after the epoch
            with np.errstate(over="ignore", invalid="ignore"):
                wrong = self.rule.run(
                    W,
                    module.prototype_labels.cpu().numpy(),
                    X.astype(W.dtype, copy=False),
                    yi.detach().cpu().numpy(),
                    steps,
                    rates.numpy(),
                )
            module.set_prototypes(prototypes.to(module.prototype_coordinates.device))
            module.prototype_learning_rates.copy_(rates)
        errors = torch.from_numpy(wrong.astype(np.float32))
        loss = _weighted_mean(errors, None if wi is None else wi.cpu())
        return {"loss": torch.tensor(loss), "y_pred": None}


def _nearest_prototype_accuracy(outputs, y, weight, *, prototype_labels):
    labels = prototype_labels.to(outputs.device)
    return _weighted_mean(labels[outputs.argmin(dim=1)] == y, weight)


@fill_doc
class LVQClassifier(
    ClassNamePrefixFeaturesOutMixin,
    TorchClassifierMixin,
    TransformerMixin,
    BaseTorchEstimator,
):
    """Learning vector quantization: a few labelled prototypes per class.

    A sample gets the class of its nearest prototype. Where k-NN keeps the
    whole training set, LVQ learns ``prototypes_per_class`` prototypes per
    class, so predictions cost a handful of distances per sample. One estimator
    covers the family:

    - Kohonen's online rules ``'lvq1'``, ``'olvq1'`` (a learning rate per
      prototype), ``'lvq2.1'`` (two winners, inside a window) and ``'lvq3'``
      (LVQ2.1 plus a small pull when both winners are right). They update the
      prototypes one sample at a time, exactly as written in the textbook.
    - The generalized LVQ family, trained by gradient descent in PyTorch on the
      cost ``f(mu)`` with the relative distance ``mu = (d+ - d-) / (d+ + d-)``:
      ``'glvq'`` (squared Euclidean distance), ``'grlvq'`` (a learned relevance
      per feature) and ``'gmlvq'`` (a learned metric matrix, optionally of low
      rank: a discriminative projection).

    Read more in the :ref:`User Guide <lvq>`.

    Parameters
    ----------
    variant : {'glvq', 'grlvq', 'gmlvq', 'lvq1', 'olvq1', 'lvq2.1', 'lvq3'}, \
default='glvq'
        The learning rule.

    prototypes_per_class : int or dict, default=1
        Prototypes of each class; a dict gives the count per class label and
        must name every class.

    prototype_init : {'class_mean', 'kmeans', 'random'} or array-like, \
default='class_mean'
        Start of the prototypes: the class mean (several prototypes of a class
        are spread around it by 1% of the class's standard deviation), k-means
        centres of each class, or random samples of the class. An array of shape
        ``(n_prototypes, n_features)`` gives the prototypes themselves, class by
        class in the order of ``classes_``.

    relevance_n_components : int or None, default=None
        Rows of the metric matrix ``Omega`` of 'gmlvq'; fewer than
        ``n_features`` learns a low-rank projection (started at the leading
        principal axes). None means ``n_features`` (started at the identity).
        Used by 'gmlvq' only.

    activation : {'sigmoid', 'identity'}, default='sigmoid'
        The function ``f`` of the generalized cost: ``sigmoid(beta * mu)`` or
        ``mu``.

    beta : float, default=10.0
        Slope of the sigmoid activation. Steep slopes approach the training
        error and usually classify better; gentle ones are smoother to train.

    window : float, default=0.3
        Relative width of the window of 'lvq2.1' and 'lvq3': a sample is in it
        when ``min(d_i / d_j, d_j / d_i) > (1 - window) / (1 + window)`` for
        the Euclidean distances to its two nearest prototypes.

    lvq3_epsilon : float, default=0.1
        Fraction of the learning rate by which 'lvq3' pulls both nearest
        prototypes toward a sample when both have its class.

    solver : {'adam', 'sgd', 'lbfgs', 'adamw', 'rmsprop', 'adagrad', \
'adadelta', 'adamax', 'nadam'}, default='adam'
        Optimizer of the generalized variants. 'lbfgs' trains on the whole set
        (one L-BFGS iteration per epoch) and is fast on small data sets;
        'adamax' and 'nadam' take ``beta_1``, ``beta_2`` and ``epsilon`` as
        'adam' does, 'adadelta' runs at ``learning_rate_init`` times its own
        step. The online rules step without an optimizer: they ignore the
        default 'adam', warn that 'sgd', 'adamw', 'rmsprop' and 'adagrad' have
        no effect (FutureWarning: a later skdl will refuse them), and refuse
        the others.

    batch_size : int or 'auto', default='auto'
        Samples per mini-batch; 'auto' is ``min(200, n_samples)``. 'lbfgs' uses
        the whole training set. The online rules still update after every
        sample; for them a batch is only the unit of data movement.

    learning_rate : {'linear', 'constant', 'invscaling', 'adaptive', \
'exponential', 'step', 'plateau'}, default='linear'
        Schedule, set after each epoch: 'linear' lowers the rate linearly to
        ``learning_rate_init / max_iter`` at the last epoch (LVQ_PAK's schedule,
        per epoch); 'invscaling' sets ``learning_rate_init / (t + 1) ** power_t``
        with ``t`` the samples seen; 'adaptive' divides the rate by 5 whenever
        the monitored value stalls for ``n_iter_no_change`` epochs.
        'exponential' multiplies it by ``decay_rate ** (t / decay_steps)``
        after ``t`` epochs (Keras' ``ExponentialDecay``), 'step' by
        ``decay_rate ** (t // decay_steps)``, and 'plateau' by ``decay_rate``
        after ``plateau_patience`` epochs without a fall of the validation loss
        (the training loss without a validation set) by more than ``tol``
        (Keras' ``ReduceLROnPlateau``), down to ``min_learning_rate``. The
        online rules 'lvq1', 'lvq2.1' and 'lvq3' scale their per-sample step
        by every schedule, as they do by 'linear'. Not used by 'lbfgs'; 'olvq1'
        (whose rates are per prototype) ignores the first four (warning that
        'invscaling' and 'adaptive' have no effect) and refuses the last three.

    learning_rate_init : float, default=0.01
        Initial learning rate; for the online rules the step ``alpha`` (at most
        1), and for 'olvq1' the starting and largest rate of every prototype.

    ${decay_parameters}

    ${loop_parameters}

    ${early_stopping_monitor_parameter}

    ${optimizer_options_parameters}
        The online rules, which use no optimizer, refuse ``amsgrad=True`` and
        a ``rho``.

    ${class_weight_parameter}
        The online rules scale each sample's step by its weight.

    ${device_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, as given in ``y``.

    prototypes_ : ndarray of shape (n_prototypes, n_features)
        The prototypes, class by class (read from the trained module).

    prototype_labels_ : ndarray of shape (n_prototypes,)
        Class label of each prototype.

    relevances_ : ndarray of shape (n_features,)
        Relevance of each feature, summing to 1: the learned weights of
        'grlvq', the diagonal of ``Omega^T Omega`` for 'gmlvq'. Only for these
        two variants.

    omega_ : ndarray of shape (n_components, n_features)
        The learned map of 'gmlvq' (unit Frobenius norm): distances are
        ``|omega_ @ (x - w)|^2`` and :meth:`transform` returns ``X @ omega_.T``.
        Only for 'gmlvq'.

    n_outputs_ : int
        Number of classes (one distance column per class, binary included).

    out_activation_ : str
        'softmax': :meth:`predict_proba` is a softmax over the classes.

    ${history_attributes}

    ${input_attributes}

    See Also
    --------
    sklearn.neighbors.KNeighborsClassifier : Keeps every training sample.
    sklearn.neighbors.NearestCentroid : One fixed prototype (the mean) per class.

    Notes
    -----
    Distances are squared Euclidean distances in the variant's metric. The
    training loss of the online rules is their online error rate (the share of
    samples whose nearest prototype had another class when they were
    presented); that of the generalized variants is the mean cost ``f(mu)``.

    References
    ----------
    T. Kohonen, *Self-Organizing Maps*, 3rd ed., Springer, 2001, ch. 6.
    A. Sato and K. Yamada, "Generalized learning vector quantization", NIPS 8,
    1996. B. Hammer and T. Villmann, "Generalized relevance learning vector
    quantization", Neural Networks 15, 2002. P. Schneider, M. Biehl and
    B. Hammer, "Adaptive relevance matrices in learning vector quantization",
    Neural Computation 21, 2009.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdl import LVQClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(
    ...     StandardScaler(), LVQClassifier("gmlvq", max_iter=30, random_state=0)
    ... ).fit(X, y)
    >>> model.score(X, y) > 0.95
    True
    >>> model[-1].prototypes_.shape
    (3, 4)
    """

    _parameter_constraints: dict = {
        # no alpha: an L2 penalty on prototypes would pull them to the origin
        **{
            name: constraint
            for name, constraint in BaseTorchEstimator._parameter_constraints.items()
            if name != "alpha"
        },
        **TorchClassifierMixin._parameter_constraints,
        **NETWORK_OPTION_CONSTRAINTS,
        "variant": [StrOptions(set(_METRICS))],
        "prototypes_per_class": [Interval(Integral, 1, None, closed="left"), dict],
        "prototype_init": [
            StrOptions({"class_mean", "kmeans", "random"}),
            "array-like",
        ],
        "relevance_n_components": [Interval(Integral, 1, None, closed="left"), None],
        "activation": [StrOptions({"sigmoid", "identity"})],
        "beta": [Interval(Real, 0, None, closed="neither")],
        "window": [Interval(Real, 0, 1, closed="neither")],
        "lvq3_epsilon": [Interval(Real, 0, None, closed="neither")],
        "learning_rate": [
            StrOptions(
                {
                    "linear",
                    "constant",
                    "invscaling",
                    "adaptive",
                    *_DECAY_SCHEDULES,
                }
            )
        ],
    }

    def __init__(
        self,
        variant="glvq",
        prototypes_per_class=1,
        *,
        prototype_init="class_mean",
        relevance_n_components=None,
        activation="sigmoid",
        beta=10.0,
        window=0.3,
        lvq3_epsilon=0.1,
        solver="adam",
        batch_size="auto",
        learning_rate="linear",
        learning_rate_init=0.01,
        decay_rate=0.5,
        decay_steps=10,
        plateau_patience=5,
        min_learning_rate=0.0,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=0,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        early_stopping_monitor="score",
        amsgrad=False,
        rho=None,
        class_weight=None,
        device="cpu",
        precision="float32",
        n_threads=None,
        compile=False,
        callbacks=None,
    ):
        self.variant = variant
        self.prototypes_per_class = prototypes_per_class
        self.prototype_init = prototype_init
        self.relevance_n_components = relevance_n_components
        self.activation = activation
        self.beta = beta
        self.window = window
        self.lvq3_epsilon = lvq3_epsilon
        self.solver = solver
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.decay_rate = decay_rate
        self.decay_steps = decay_steps
        self.plateau_patience = plateau_patience
        self.min_learning_rate = min_learning_rate
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.early_stopping_monitor = early_stopping_monitor
        self.amsgrad = amsgrad
        self.rho = rho
        self.class_weight = class_weight
        self.device = device
        self.precision = precision
        self.n_threads = n_threads
        self.compile = compile
        self.callbacks = callbacks

    # -- fitting --------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, validation_data=None):
        """Learn the prototypes (and the metric) from ``X``, ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the cost (a scale of its step for the
            online rules).
        validation_data : tuple, default=None
            ``(X_val, y_val)`` or ``(X_val, y_val, sample_weight_val)``: a
            validation set, as in Keras. Its loss (the mean cost ``f(mu)``;
            the error rate for the online rules) and accuracy are recorded each
            epoch in ``history_`` (``valid_loss``, ``valid_score``), and
            ``early_stopping`` and the 'plateau' schedule watch them instead of
            setting aside ``validation_fraction`` of ``X``. ``class_weight``
            does not apply to it; it does not move the prototypes.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._check_variant_settings()
        return self._fit(X, y, sample_weight, validation_data=validation_data)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for exactly one epoch over ``X``, ``y``: online LVQ.

        The first call initialises the prototypes from its data (so it needs
        samples of every class unless ``prototype_init`` is an array).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            Every label that any call will see; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if not hasattr(self, "classes_") and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: every "
                "label that later calls may see."
            )
        self._check_variant_settings()
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    # -- prediction -----------------------------------------------------------------
    @lazy_on_dask
    def transform(self, X) -> np.ndarray:
        """Distances to the prototypes; for 'gmlvq', the learned projection.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        ndarray of shape (n_samples, n_prototypes) or (n_samples, n_components)
            Euclidean distances (in the learned metric) to each prototype of
            ``prototypes_``; for 'gmlvq', ``X @ omega_.T``, the coordinates in
            which the learned metric is Euclidean. float32 for float32 ``X``,
            float64 otherwise.
        """
        dtype = input_float_dtype(X)
        X = self._checked_input(X)
        if self.net_.module_.metric == "matrix":
            out = X.astype(np.float64) @ self.omega_.T.astype(np.float64)
            return out.astype(dtype, copy=False)
        return np.sqrt(self._forward(X, dtype))

    @lazy_on_dask
    def decision_function(self, X) -> np.ndarray:
        """Relative distance margin of each class, in [-1, 1].

        For class ``c``, ``m_c = (d_other - d_c) / (d_other + d_c)`` with ``d_c``
        the distance to the nearest prototype of ``c`` and ``d_other`` to the
        nearest prototype of any other class: minus GLVQ's relative distance
        ``mu``. It is positive for the predicted class only.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            For binary problems, the margin of ``classes_[1]``. float32
            when ``X`` and the model both are float32, float64 otherwise.
        """
        margins = self._margins(X).astype(self._output_dtype(X), copy=False)
        return margins[:, 1] if len(self.classes_) == 2 else margins

    @lazy_on_dask
    def predict_proba(self, X) -> np.ndarray:
        """Softmax over the classes of the relative distance margins.

        ``p_c = exp(beta / 2 * m_c) / sum_k exp(beta / 2 * m_k)`` with ``m`` the
        margins of :meth:`decision_function`. With two classes this is
        ``sigmoid(beta * m_c)``, one minus GLVQ's sigmoid cost of a sample of
        class ``c``; the most probable class is the predicted one. The margins
        are relative distances, so the values do not depend on the scale of the
        features, but ``beta`` sets how sharp they are: calibrate them (e.g.
        with :class:`~sklearn.calibration.CalibratedClassifierCV`) where
        probabilities must be reliable.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``; rows sum to 1. float32 when ``X``
            and the model both are float32, float64 otherwise.
        """
        logits = 0.5 * self.beta * self._margins(X)
        proba = np.exp(logits - logits.max(axis=1, keepdims=True))
        proba /= proba.sum(axis=1, keepdims=True)
        return proba.astype(self._output_dtype(X), copy=False)

    @lazy_on_dask
    def predict(self, X) -> np.ndarray:
        """The class of the nearest prototype.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        nearest = self._class_distances(X).argmin(axis=1)
        return self.classes_[nearest]

    @property
    def _n_features_out(self) -> int:
        # output width of transform, for get_feature_names_out
        module = self._fitted_module()
        if module.metric == "matrix":
            return module.omega.shape[0]
        return module.prototype_coordinates.shape[0]

    # -- fitted attributes ----------------------------------------------------------
    @property
    def prototypes_(self) -> np.ndarray:
        """The prototypes, ``(n_prototypes, n_features)``."""
        return self._fitted_module().prototypes().detach().cpu().numpy()

    @property
    def relevances_(self) -> np.ndarray:
        """Relevance of each feature (sums to 1); 'grlvq' and 'gmlvq' only."""
        module = self._fitted_module()
        if module.metric == "relevance":
            scale = module.relevance_scale()
            return scale.pow(2).detach().cpu().double().numpy()
        if module.metric == "matrix":
            omega = module.normalized_omega().detach().cpu().double()
            return omega.pow(2).sum(0).numpy()
        raise AttributeError(
            f"relevances_ exists for variant 'grlvq' and 'gmlvq'; this model was "
            f"fitted with variant={self._fitted_variant!r}."
        )

    @property
    def omega_(self) -> np.ndarray:
        """The learned map of 'gmlvq', ``(n_components, n_features)``."""
        module = self._fitted_module()
        if module.metric != "matrix":
            raise AttributeError(
                f"omega_ exists for variant 'gmlvq' only; this model was fitted "
                f"with variant={self._fitted_variant!r}."
            )
        return module.normalized_omega().detach().cpu().numpy().copy()

    # -- hooks of the base ------------------------------------------------------------
    def _validate_X_y(self, X, y, *, reset):
        return validate_data(self, X, y, dtype=self._float_dtype, reset=reset)

    def _validate_X(self, X):
        return validate_data(self, X, dtype=self._fitted_float_dtype(), reset=False)

    def _encode_targets(self, y, **kwargs):
        y, weight = super()._encode_targets(y, **kwargs)
        if weight is not None and self.variant in _ONLINE:
            # the online rules scale a sample's step by its weight over the mean
            weight = weight / weight.mean()
        return y, weight

    def _set_classes(self, y, target_type, classes):
        super()._set_classes(y, target_type, classes)
        if len(self.classes_) < 2:
            raise ValueError(
                "LVQClassifier needs samples of at least 2 classes in y: a "
                "prototype is placed against the prototypes of other classes; got "
                f"1 class: {self.classes_.tolist()}."
            )
        # every class has its own prototypes: one distance column per class
        self.out_activation_ = "softmax"
        self.n_outputs_ = len(self.classes_)

    def _build_module(self) -> LVQModule:
        labels = self._prototype_class_indices()
        metric = _METRICS[self.variant]
        n_components = None
        if metric == "matrix" and self.relevance_n_components is not None:
            n_components = self.relevance_n_components
            if n_components > self.n_features_in_:
                raise ValueError(
                    f"relevance_n_components={n_components} is larger than the "
                    f"{self.n_features_in_} features; use at most n_features."
                )
        module = LVQModule(self.n_features_in_, labels, metric, n_components)
        # the per-prototype rates of 'olvq1': training state kept with the module
        rates = torch.full((len(labels),), float(self.learning_rate_init))
        module.register_buffer("prototype_learning_rates", rates)
        self.prototype_labels_ = self.classes_[labels]
        self._fitted_variant = self.variant
        return module

    def _initialize_module(self, module, train) -> None:
        X, y, weight = (None if a is None else _host_array(a) for a in train.arrays)
        # numpy draws (k-means, random picks) seeded from the seeded torch stream
        rng = np.random.RandomState(int(torch.randint(2**31 - 1, ())))
        prototypes = self._initial_prototypes(X, y, weight, rng)
        with torch.no_grad():
            if self.variant not in _ONLINE:
                # optimizer steps in units of each feature's spread
                mean = np.average(X, axis=0, weights=weight)
                # in float64: squares of large float32 features overflow
                deviation = np.square(X - mean, dtype=np.float64)
                scale = np.sqrt(np.average(deviation, axis=0, weights=weight))
                module.feature_offset.copy_(torch.from_numpy(mean))
                module.feature_scale.copy_(
                    torch.from_numpy(np.where(scale > 0, scale, 1))
                )
            module.set_prototypes(
                torch.from_numpy(prototypes).to(module.feature_offset)
            )
            if module.metric == "matrix" and module.omega.shape[0] < X.shape[1]:
                axes = _principal_axes(X, module.omega.shape[0])
                module.omega.copy_(torch.from_numpy(axes))

    def _make_net(self, **kwargs) -> SkdlNet:
        return _LVQNet(rule=self._online_rule(), n_threads=self.n_threads, **kwargs)

    def _make_criterion(self):
        labels = self._prototype_class_indices()
        if self.variant in _ONLINE:
            return NearestPrototypeError(labels)
        return GLVQLoss(labels, activation=self.activation, beta=self.beta)

    @property
    def _score_fn(self):
        labels = torch.as_tensor(self._prototype_class_indices(), dtype=torch.long)
        return functools.partial(_nearest_prototype_accuracy, prototype_labels=labels)

    def _output_function(self, raw):
        return at_least_float32(raw)

    def _training_callbacks(self) -> list:
        callbacks = super()._training_callbacks()
        if self.learning_rate == "linear" and self.solver != "lbfgs":
            schedule = LinearDecayLR(self.learning_rate_init, self.max_iter)
            callbacks.insert(0, ("linear_decay", schedule))
        return callbacks

    # -- helpers ----------------------------------------------------------------------
    def _check_variant_settings(self):
        if self.warm_start and hasattr(self, "net_"):
            self._check_warm_start()
        if self.variant not in _ONLINE:
            return
        rule = f"variant={self.variant!r} is an online rule, which uses no optimizer"
        if self.solver in _OPTIMIZER_ONLY_SOLVERS:
            raise ValueError(
                f"solver={self.solver!r} trains the generalized variants ('glvq', "
                f"'grlvq', 'gmlvq'); {rule}. Leave solver at 'adam' (the online "
                "rules do not use it)."
            )
        for name, default in (("amsgrad", False), ("rho", None)):
            if getattr(self, name) != default:
                raise ValueError(
                    f"{name}={getattr(self, name)!r} is an option of the optimizers "
                    f"of the generalized variants; {rule}. Set {name}={default!r}."
                )
        if self.variant == "olvq1" and self.learning_rate in _DECAY_SCHEDULES:
            raise ValueError(
                f"learning_rate={self.learning_rate!r} schedules the one learning "
                "rate of the other rules, but variant='olvq1' keeps a rate per "
                "prototype (each lowered as it wins); leave learning_rate at "
                "'linear', or use variant='lvq1' with this schedule."
            )
        if self.learning_rate_init > 1:
            raise ValueError(
                f"variant={self.variant!r} moves a prototype by learning_rate_init "
                f"times its distance to the sample, so learning_rate_init must be "
                f"at most 1; got {self.learning_rate_init}."
            )
        # after the refusals: a call that raises does not warn first
        ignored = []
        if self.solver != "adam":  # the older solvers, which were accepted
            ignored.append(f"solver={self.solver!r} has no effect: {rule}")
        if self.variant == "olvq1" and self.learning_rate in ("invscaling", "adaptive"):
            ignored.append(
                f"learning_rate={self.learning_rate!r} has no effect: "
                "variant='olvq1' keeps a rate per prototype, lowered as it wins"
            )
        if ignored:
            warnings.warn(
                "; ".join(ignored) + ". Leave the default, or use a generalized "
                "variant ('glvq', 'grlvq', 'gmlvq'); a later skdl will refuse this.",
                FutureWarning,
                stacklevel=external_stacklevel(),
            )

    def _check_warm_start(self):
        module = self.net_.module_
        counts = self._prototype_counts()
        if _METRICS[self.variant] != module.metric or len(
            module.prototype_labels
        ) != int(counts.sum()):
            raise ValueError(
                "warm_start=True continues from the fitted prototypes, but variant "
                "or prototypes_per_class now ask for another set of prototypes "
                f"(fitted: variant={self._fitted_variant!r} with "
                f"{len(module.prototype_labels)} prototypes). Set warm_start=False."
            )

    def _online_rule(self):
        if self.variant == "lvq1":
            return _LVQ1()
        if self.variant == "olvq1":
            return _OLVQ1(rate_max=float(self.learning_rate_init))
        if self.variant == "lvq2.1":
            return _LVQ21(self.window)
        if self.variant == "lvq3":
            return _LVQ21(self.window, epsilon=self.lvq3_epsilon)
        return None

    def _prototype_class_indices(self) -> np.ndarray:
        """Class index of each prototype: classes in order, in blocks."""
        counts = self._prototype_counts()
        return np.repeat(np.arange(len(counts)), counts)

    def _prototype_counts(self) -> np.ndarray:
        per_class = self.prototypes_per_class
        if not isinstance(per_class, dict):
            return np.full(len(self.classes_), per_class, dtype=np.int64)
        unknown = [label for label in per_class if label not in set(self.classes_)]
        missing = [label for label in self.classes_.tolist() if label not in per_class]
        if unknown or missing:
            raise ValueError(
                "prototypes_per_class as a dict needs a count for every class and "
                f"no other key; missing: {missing}, unknown: {unknown}. "
                f"The classes are {self.classes_.tolist()}."
            )
        counts = np.array([per_class[label] for label in self.classes_])
        if not all(isinstance(c, Integral) and c >= 1 for c in counts.tolist()):
            raise ValueError(
                f"prototypes_per_class values must be positive ints; got {per_class!r}."
            )
        return counts.astype(np.int64)

    def _initial_prototypes(self, X, y, weight, rng) -> np.ndarray:
        counts = self._prototype_counts()
        init = self.prototype_init
        if not isinstance(init, str):
            prototypes = np.asarray(init, dtype=X.dtype)
            expected = (int(counts.sum()), X.shape[1])
            if prototypes.shape != expected:
                raise ValueError(
                    f"prototype_init as an array must have shape {expected} "
                    "(n_prototypes, n_features), class by class in the order of "
                    f"classes_; got shape {prototypes.shape}."
                )
            if not np.isfinite(prototypes).all():
                raise ValueError("prototype_init holds NaN or infinite values.")
            return prototypes
        blocks = []
        for index, count in enumerate(counts):
            in_class = y == index
            X_class = X[in_class]
            if len(X_class) == 0:
                raise ValueError(
                    f"prototype_init={init!r} needs samples of every class, but "
                    f"class {self.classes_.tolist()[index]!r} has none in this data "
                    "(the first partial_fit call, or the split left after "
                    "early_stopping). Pass prototype_init as an array."
                )
            w_class = None if weight is None else weight[in_class]
            if w_class is not None and not w_class.sum() > 0:
                w_class = None  # a class without weight: start from its samples
            blocks.append(_class_prototypes(X_class, w_class, int(count), init, rng))
        return np.vstack(blocks).astype(X.dtype)

    def _fitted_module(self):
        check_is_fitted(self)
        return self.net_.module_

    def _class_distances(self, X) -> np.ndarray:
        """Squared distance of each sample to the nearest prototype of each class."""
        distances = self._forward(self._checked_input(X))
        labels = self.net_.module_.prototype_labels.cpu().numpy()
        starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
        return np.minimum.reduceat(distances, starts, axis=1)

    def _margins(self, X) -> np.ndarray:
        """Relative distance margin of each class (see decision_function)."""
        distances = self._class_distances(X)
        order = np.sort(distances, axis=1)
        # nearest other class: the runner-up for the winning class
        other = np.where(distances == order[:, :1], order[:, 1:2], order[:, :1])
        total = other + distances
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, (other - distances) / total, 0.0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.classifier_tags.multi_label = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _host_array(rows) -> np.ndarray:
    """All rows of a training array as a dense NumPy array of their float type."""
    X = host_rows(rows)
    return X.toarray() if sp.issparse(X) else X


def _class_prototypes(X_class, weight, count, init, rng) -> np.ndarray:
    """``count`` starting prototypes of one class (``weight``: its sample weights)."""
    if init == "class_mean":
        mean = np.average(X_class, axis=0, weights=weight)
        if count == 1:
            return mean[None, :]
        spread = 0.01 * np.sqrt(np.average((X_class - mean) ** 2, 0, weights=weight))
        return mean + spread * rng.standard_normal((count, X_class.shape[1]))
    if init == "random":
        p = None if weight is None else weight / weight.sum()
        replace = np.count_nonzero(p) < count if p is not None else len(X_class) < count
        return X_class[rng.choice(len(X_class), count, replace=replace, p=p)]
    if len(X_class) < count:
        raise ValueError(
            f"prototype_init='kmeans' needs at least {count} samples of each class "
            f"for {count} prototypes; a class has {len(X_class)}. Lower "
            "prototypes_per_class or use 'class_mean'."
        )
    kmeans = KMeans(count, n_init=1, random_state=rng.randint(2**31 - 1))
    return kmeans.fit(X_class, sample_weight=weight).cluster_centers_


def _principal_axes(X, n_components) -> np.ndarray:
    """The leading principal axes of ``X``: the start of a low-rank Omega."""
    centered = X - X.mean(axis=0)
    _, eigenvectors = np.linalg.eigh(centered.T.astype(np.float64) @ centered)
    return eigenvectors[:, ::-1][:, :n_components].T.astype(X.dtype)
