"""The base of every skdl estimator that trains a PyTorch module.

:class:`BaseTorchEstimator` holds what no estimator should write twice: parameter
validation, input checks, the device, local seeding, the validation split, the
skorch training loop with sklearn's stopping rules, the fitted history attributes,
restoring the previous state when a fit fails, batched inference and ``summary()``.
:class:`TorchClassifierMixin` and :class:`TorchRegressorMixin` add the target
handling of each task, :class:`TorchTransformerMixin` that of unsupervised
estimators whose outputs are features. A concrete estimator adds its parameters
and builds its module in ``_build_module``.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import math
import re
import warnings
from numbers import Integral, Number, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    RegressorMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d
from torch import nn

from ._blocks import lazy_on_dask, row_source
from ._net import (
    Batches,
    HostRows,
    SkdlNet,
    at_least_float32,
    check_callbacks,
    reads_lazily,
    to_rows,
)
from ._optim import SOLVERS as _SOLVERS
from ._warnings import external_stacklevel
from .callbacks import (
    Convergence,
    ExponentialDecayLR,
    InverseScalingLR,
    IterationLog,
    LBFGSConvergence,
    ReduceLROnPlateau,
)
from .modules import (
    AbsoluteError,
    BinaryHinge,
    FocalLoss,
    HalfPoissonLoss,
    HalfSquaredError,
    MulticlassHinge,
    PercentageError,
    SquaredLogError,
    UserLoss,
)
from .utils import (
    out_of_memory_error,
    resolve_device,
    seed_from_random_state,
    torch_seeded,
)
from .utils._sklearn import Interval, Options, StrOptions, check_sample_weight
from .utils._state import attributes_restored_on_error
from .utils._torch import (
    N_THREADS_CONSTRAINT,
    is_out_of_memory,
    memory_advice,
    on_cpu_by_default,
    threads_for_steps,
)
from .utils._validation import (
    changed_params,
    check_float32_range,
    check_label_types,
    input_float_dtype,
    labels_1d,
    validate_data,
)

__all__ = [
    "CLASSIFIER_LOSSES",
    "LOSS_ALIASES",
    "NETWORK_OPTION_CONSTRAINTS",
    "REGRESSOR_LOSSES",
    "SCHEDULE_CONSTRAINTS",
    "BaseTorchEstimator",
    "TorchClassifierMixin",
    "TorchRegressorMixin",
    "TorchTransformerMixin",
    "loss_options",
]


#: the ``loss`` names of classifiers and regressors (or a callable, an nn.Module)
CLASSIFIER_LOSSES = ("log_loss", "hinge", "squared_hinge", "focal")
REGRESSOR_LOSSES = (
    "squared_error",
    "absolute_error",
    "huber",
    "poisson",
    "mean_absolute_percentage_error",
    "squared_log_error",
)
# the parameters of the stopping rule, schedules and callbacks that a fitted
# net keeps, which partial_fit continues
_CONTINUED_TRAINING_PARAMS = (
    "early_stopping",
    "early_stopping_monitor",
    "tol",
    "n_iter_no_change",
    "learning_rate",
    "power_t",
    "decay_rate",
    "decay_steps",
    "min_learning_rate",
    "verbose",
    "callbacks",
)

#: Keras' names of losses, accepted as the names they stand for
LOSS_ALIASES = {
    "binary_crossentropy": "log_loss",
    "categorical_crossentropy": "log_loss",
    "sparse_categorical_crossentropy": "log_loss",
    "mse": "squared_error",
    "mean_squared_error": "squared_error",
    "mae": "absolute_error",
    "mean_absolute_error": "absolute_error",
    "mape": "mean_absolute_percentage_error",
    "msle": "squared_log_error",
    "mean_squared_logarithmic_error": "squared_log_error",
}


def _canonical_loss(loss):
    """Skdl's name of a loss given by name or alias; a callable as it is."""
    return LOSS_ALIASES.get(loss, loss) if isinstance(loss, str) else loss


def loss_options(losses: tuple[str, ...]) -> StrOptions:
    """The ``loss`` names an estimator accepts: ``losses`` and their aliases."""
    return StrOptions(
        {*losses, *(alias for alias, name in LOSS_ALIASES.items() if name in losses)}
    )


_TORCH_FLOATS = {np.float32: torch.float32, np.float64: torch.float64}

# the autocast dtype of each precision (float32 and float64 compute without one)
_PRECISIONS = {
    "auto": None,
    "float32": None,
    "float64": None,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
}


def parameter_dtypes(precision: str) -> tuple[torch.dtype, ...]:
    """The float types that the parameters of a model fitted with ``precision`` have."""
    if precision == "auto":
        return (torch.float32, torch.float64)
    return (torch.float64,) if precision == "float64" else (torch.float32,)


#: the ``learning_rate`` schedules of the network estimators, and the
#: constraints of the parameters of the decays
SCHEDULE_CONSTRAINTS = {
    "learning_rate": [
        StrOptions(
            {"constant", "invscaling", "adaptive", "exponential", "step", "plateau"}
        )
    ],
    "decay_rate": [Interval(Real, 0, 1, closed="right")],
    "decay_steps": [Interval(Integral, 1, None, closed="left")],
    "plateau_patience": [Interval(Integral, 0, None, closed="left")],
    "min_learning_rate": [Interval(Real, 0, None, closed="left")],
}

#: the training options of the network estimators beyond scikit-learn's: the
#: early-stopping monitor, the optimizers' options and the schedules
NETWORK_OPTION_CONSTRAINTS = {
    "early_stopping_monitor": [StrOptions({"score", "loss"})],
    "amsgrad": ["boolean"],
    "rho": [Interval(Real, 0, 1, closed="left"), None],
    **SCHEDULE_CONSTRAINTS,
}

# training and inference steps whose largest kernel call comes to fewer
# multiply-adds run on one CPU thread (``threads_for_steps``)
_THREADED_WORK = 2**22


class BaseTorchEstimator(BaseEstimator):
    """Shared machinery of skdl's PyTorch estimators (not used directly).

    Subclasses implement ``_build_module()`` (an ``nn.Module`` built from the
    parameters and the fitted input attributes) and may override
    ``_validate_X_y`` / ``_validate_X`` for inputs other than 2-D arrays and
    ``_example_input`` for ``summary()``.

    Examples
    --------
    >>> from skdl import CNNClassifier, LVQClassifier, MLPRegressor
    >>> from skdl.base import BaseTorchEstimator
    >>> all(issubclass(c, BaseTorchEstimator)
    ...     for c in (CNNClassifier, LVQClassifier, MLPRegressor))
    True
    """

    _parameter_constraints: dict = {
        "solver": [StrOptions(set(_SOLVERS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "precision": [StrOptions(set(_PRECISIONS))],
        "n_threads": N_THREADS_CONSTRAINT,
        "compile": ["boolean", dict],
        "callbacks": [list, None],
    }

    # rows per forward pass at predict time; image and text estimators lower it
    _inference_batch_size = 8192

    # factor on the data term of the recorded losses (see SkdlNet)
    _reported_loss_scale = 1.0
    # (weighted) count of right predictions in a training batch, for the
    # training accuracy of each epoch (classifiers), or None
    _train_score_fn = None
    # False for estimators trained for a fixed number of epochs on a sampled
    # gradient, whose training loss is no objective to converge on: no stopping
    # rule, and no ConvergenceWarning at max_iter
    _stops_on_convergence = True

    # why the estimator cannot train on X read block by block (a Dask collection,
    # RowBlocks), completing "{name} ..."; None when it can
    _block_input_refused = None

    # networks trained with an optimizer each (GANSampler: 2), for the
    # callbacks that know skorch's single optimizer_ only
    _optimizer_count = 1

    # -- hooks for subclasses ---------------------------------------------------------
    def _build_module(self) -> nn.Module:
        raise NotImplementedError

    def _initialize_module(self, module: nn.Module, train: Batches) -> None:
        """Initialise a new module from the training batches (default: nothing).

        Called once per fresh fit, after the net is initialised and before the
        first epoch, inside the seeded block: data-dependent initialisations
        (prototypes at class means, k-means centres) go here.
        """

    def _make_net(self, **kwargs) -> SkdlNet:
        """The skorch net that trains the module; a subclass may return its own."""
        return SkdlNet(**kwargs)

    def _validate_X_y(self, X, y, *, reset):
        return validate_data(
            self,
            X,
            y,
            accept_sparse=("csr", "csc"),
            dtype=self._float_dtype,
            multi_output=True,
            y_numeric=not isinstance(self, ClassifierMixin),
            reset=reset,
        )

    def _validate_X(self, X):
        return validate_data(
            self,
            X,
            accept_sparse=("csr", "csc"),
            dtype=self._fitted_float_dtype(),
            reset=False,
        )

    @property
    def _float_dtype(self) -> type:
        """NumPy float type that the model trains in: float64 or float32.

        During a fit, the one that ``precision`` resolved to for its X (see
        ``_training_precision``).
        """
        resolved = self.__dict__.get("_training_dtype")
        if resolved is not None:
            return resolved
        return np.float64 if self._precision == "float64" else np.float32

    def _resolved_float_dtype(self, X, source, fresh: bool) -> type:
        """The float type a fit of ``X`` trains in (``source``: X's row source).

        ``precision='auto'`` is scikit-learn's rule on the CPU: float32 for X of
        float32 values, float64 for any other (``input_float_dtype``; for X read
        block by block, its first block); float32 on a GPU, where float64 is
        many times slower. A warm start or ``partial_fit`` keeps the fitted
        model's type.
        """
        if self._precision != "auto":
            return self._float_dtype
        if not fresh:
            return self._fitted_float_dtype()
        if resolve_device(self.device).type != "cpu":
            return np.float32
        return input_float_dtype(X) if source is None else source.float_dtype()

    def _fits_fresh(self, incremental: bool = False) -> bool:
        """Whether a fit (``partial_fit`` when ``incremental``) builds a new
        model: there is none yet, or neither ``warm_start`` nor ``partial_fit``
        continues it.
        """
        return not hasattr(self, "net_") or not (incremental or self.warm_start)

    @contextlib.contextmanager
    def _training_precision(self, X, source, fresh: bool):
        """Context of a fit: ``_float_dtype`` is the float type it trains in
        (:meth:`_resolved_float_dtype`).
        """
        self._training_dtype = self._resolved_float_dtype(X, source, fresh)
        try:
            yield
        finally:
            del self._training_dtype

    def _checked_weights(self, weight):
        """Sample weights (float64, non-negative) in the float type of training.

        Their sum must be positive and, in float32, within its range: the loss
        divides by it. Only the weights' ratios change the fit, so the error
        says to divide them by a constant.
        """
        if weight is None:
            return None
        weight = np.asarray(weight, dtype=np.float64)
        total = weight.sum()
        if not total > 0:
            raise ValueError(
                "sample_weight (times class_weight) sums to zero or less; at least "
                "one sample needs a positive weight."
            )
        limit = np.finfo(np.float32).max
        if self._float_dtype == np.float32 and total > limit:
            raise ValueError(
                f"sample_weight (times class_weight) sums to {total:.3g}, beyond "
                f"float32's range ({limit:.3g}), in which {type(self).__name__} "
                "computes. Divide the weights by a constant: only their ratios "
                "change the fit."
            )
        return weight.astype(self._float_dtype, copy=False)

    def _output_dtype(self, X) -> type:
        """The float type of predictions from ``X``, as in scikit-learn's MLPs:
        float32 when ``X`` and the fitted model both are, float64 otherwise.
        """
        return np.promote_types(input_float_dtype(X), self._fitted_float_dtype()).type

    def _fitted_float_dtype(self) -> type:
        """NumPy float type of the fitted module's inputs."""
        module = self.net_.module_
        tensor = next(itertools.chain(module.parameters(), module.buffers()))
        return np.float64 if tensor.dtype == torch.float64 else np.float32

    def _example_input(self) -> torch.Tensor:
        return torch.zeros((1, self.n_features_in_))

    def _train_transform(self, seed: int):
        """Per-batch transform of the training inputs (augmentation), or None.

        Called at the start of every fit with that fit's seed; the callable is
        applied to each training batch only, never to validation batches.
        """
        return None

    # -- fitting ----------------------------------------------------------------------
    def _fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        incremental=False,
        classes=None,
        validation_data=None,
    ):
        """Validate, build or reuse the net, train, and set the fitted attributes.

        ``validation_data`` (``(X_val, y_val)`` or ``(X_val, y_val,
        sample_weight_val)``) replaces the split of ``validation_fraction``.
        A call that raises leaves the estimator exactly as it was before it.
        """
        fitted = hasattr(self, "net_")
        fresh = self._fits_fresh(incremental)
        if incremental and getattr(self, "class_weight", None) == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported for partial_fit: each "
                "call sees one batch, whose class counts are not the data's. Pass "
                "the weights of the whole data as a dict instead, e.g. "
                "dict(zip(classes, compute_class_weight('balanced', classes=classes, "
                "y=y))) with sklearn.utils.class_weight.compute_class_weight."
            )
        if incremental and self._early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: each call "
                "trains one epoch on the rows it is given, with no validation "
                "split to stop on. Set early_stopping=False to train with "
                "partial_fit, or call fit."
            )
        saved_training = self._training_snapshot() if not fresh else None
        try:
            source = row_source(X)
            with (
                attributes_restored_on_error(self),
                self._training_precision(X, source, fresh),
            ):
                if isinstance(self, ClassifierMixin):
                    name = type(self).__name__
                    check_label_types(y, owner=name)
                    check_label_types(classes, owner=name, name="classes")
                if source is None:
                    X, y = self._validate_X_y(X, y, reset=fresh)
                else:  # X read block by block (see skdl._blocks)
                    X, y, sample_weight = source.validated(
                        self, y, sample_weight, reset=fresh
                    )
                y, weight = self._encode_targets(
                    y,
                    X=X,
                    sample_weight=sample_weight,
                    reset=fresh,
                    incremental=incremental,
                    classes=classes,
                )
                validation = (
                    None
                    if validation_data is None
                    else self._checked_validation_data(validation_data)
                )
                device = (
                    torch.device(self.net_.device)
                    if incremental and fitted
                    else resolve_device(self.device)
                )
                if not fresh and self._fitted_float_dtype() != self._float_dtype:
                    raise ValueError(
                        f"precision={self._precision!r}, but the model was fitted in "
                        f"{self._fitted_float_dtype().__name__}, which warm_start and "
                        "partial_fit keep. Set precision back, or fit with "
                        "warm_start=False."
                    )
                if not fresh:
                    self._check_same_network(incremental)
                # each call continuing a fit draws from a stream of its own
                salt = 0 if fresh else len(self.net_.history)
                seed = seed_from_random_state(self.random_state, salt=salt)
                with torch_seeded(seed, device):
                    train, valid = self._make_batches(
                        X, y, weight, device, seed, validation
                    )
                    mean_weight = 1.0 if weight is None else float(np.mean(weight))
                    if incremental and fitted:
                        net = self.net_
                    else:  # fresh, or warm start: same module, fresh optimizer
                        net = self._new_net(
                            device,
                            train.batch_size,
                            mean_weight,
                            module=None if fresh else self.net_.module_,
                        )
                        net.initialize()
                        if fresh:
                            self._initialize_module(net.module_, train)
                    if not fresh and not incremental:
                        net.history = self.net_.history
                    net.criterion_.reduction = "sum" if weight is None else "none"
                    net.train_transform = self._train_transform(seed)
                    n_before = len(net.history)
                    with self._threads(net, train.batch_size):
                        epochs = 1 if incremental else self._epochs(len(train))
                        outcome = net.fit_epochs(train, valid, epochs)
        except BaseException as exc:
            if saved_training is not None:
                self._restore_training(saved_training)
            if is_out_of_memory(exc):
                raise out_of_memory_error(
                    exc,
                    f"{type(self).__name__} ran out of memory while training "
                    f"(batch_size={self.batch_size!r}). Lower batch_size, or use a "
                    "smaller model; a memory-mapped X is read one batch at a time.",
                ) from exc
            raise
        self._set_fitted_attributes(net, outcome, incremental, n_before)
        return self

    def _threads(self, net: SkdlNet, n_rows: int):
        """Threads for steps of ``n_rows`` rows: see ``threads_for_steps``.

        The work of a row is counted once per module (a traced forward pass).
        """
        work = getattr(net, "row_work_", None)
        if work is None or work[0] != id(net.module_):
            work = (id(net.module_), _row_work(net.module_, self._example_input()))
            net.row_work_ = work
        device = torch.device(net.device)
        return threads_for_steps(
            n_rows * work[1], _THREADED_WORK, device, self.n_threads
        )

    def _check_same_network(self, incremental: bool) -> None:
        """Refuse to continue a fit whose parameters now describe another network.

        ``warm_start`` and ``partial_fit`` continue the fitted module. A
        parameter changed since (``hidden_layer_sizes``, ``activation``,
        ``dropout``...) would otherwise be ignored while ``get_params`` reports
        it. When a parameter has changed, the network the parameters describe is
        built on the meta device (no memory, no random numbers; attributes that
        building sets are put back) and compared, layer by layer, with the
        fitted one. Parameters that set how the input is read (an image's shape
        and scale) must not have changed either.
        """
        built, now = self._built_with["module"], self.get_params(deep=False)
        changed = sorted(changed_params(now, built))
        if changed:
            saved = dict(self.__dict__)
            try:
                with torch.device("meta"):
                    described = self._build_module()
            finally:
                self.__dict__.clear()
                self.__dict__.update(saved)
            if _layout(described) == _layout(self.net_.module_):
                changed = []
        changed = sorted({*changed, *self._changed_input_params()})
        if incremental:
            self._check_same_training(now)
        if not changed:
            return
        call = "partial_fit" if incremental else "A fit with warm_start=True"
        raise ValueError(
            f"{call} continues the fitted network, but the parameters now describe "
            f"another one (changed since it was built: {', '.join(changed)}). Set "
            "them back, or fit with warm_start=False to build and train the new "
            "network."
        )

    def _check_same_training(self, now: dict) -> None:
        """Refuse a ``partial_fit`` after a change to what its training reads.

        ``partial_fit`` goes on with the fitted net: its stopping rule,
        schedules and callbacks were built from these parameters when training
        began, and would ignore (or trip over) new values.
        """
        changed = changed_params(
            now, self._built_with["net"], _CONTINUED_TRAINING_PARAMS
        )
        if changed:
            raise ValueError(
                f"partial_fit continues the training that the last fit began, "
                f"whose {', '.join(changed)} changed since. Set them back, or "
                "call fit (warm_start=True keeps the weights) to train with the "
                "new values."
            )

    def _changed_input_params(self) -> list[str]:
        """Parameters that set how ``fit`` reads its input, changed since it did
        (the fitted values are kept when a fit continues).
        """
        return []

    def _training_snapshot(self):
        net = self.net_
        return (
            copy.deepcopy(net.module_.state_dict()),
            copy.deepcopy(net.optimizer_states()),
            len(net.history),
        )

    def _restore_training(self, snapshot):
        module_state, optimizer_states, n_epochs = snapshot
        net = self.net_
        net.module_.load_state_dict(module_state)
        net.load_optimizer_states(optimizer_states)
        del net.history[n_epochs:]

    def _checked_validation_data(self, validation_data):
        """:meth:`_validation_arrays`, whose errors say they are about
        ``validation_data`` (scikit-learn's "X has 10 features, but ... is
        expecting 64" would read as if the training X were wrong).
        """
        try:
            return self._validation_arrays(validation_data)
        except ValueError as error:
            if "validation_data" in str(error):
                raise
            raise ValueError(f"In validation_data: {error}") from error

    def _validation_arrays(self, validation_data):
        """``(X_val, y_val, weight_val)`` from ``fit``'s ``validation_data``, checked
        and encoded as the training data were (after them).

        ``class_weight`` is not applied to the validation samples, as in Keras;
        a third entry gives their weights.
        """
        name = type(self).__name__
        if not (
            isinstance(validation_data, (tuple, list))
            and len(validation_data) in (2, 3)
        ):
            length = getattr(validation_data, "__len__", None)
            raise ValueError(
                "validation_data must be a tuple (X_val, y_val) or (X_val, y_val, "
                "sample_weight_val), as in Keras' fit; got "
                f"{type(validation_data).__name__}"
                + (f" of length {length()}" if length else "")
                + "."
            )
        X_val, y_val, *rest = validation_data
        if isinstance(self, ClassifierMixin):
            check_label_types(y_val, owner=name, name="validation_data's y")
        X_val, y_val = self._validate_X_y(X_val, y_val, reset=False)
        if isinstance(self, ClassifierMixin) and not (
            self.out_activation_ == "logistic" and self.n_outputs_ > 1
        ):
            labels = unique_labels(
                column_or_1d(y_val)
                if np.ndim(y_val) == 2 and np.shape(y_val)[1] == 1
                else y_val
            )
            unseen = np.setdiff1d(labels, self.classes_)
            if len(unseen):
                raise ValueError(
                    f"validation_data's y holds labels that the training y does not: "
                    f"{unseen.tolist()} (classes_ is {self.classes_.tolist()}). "
                    "Validate on samples of the training classes."
                )
        y_val, _ = self._encode_targets(
            y_val,
            X=X_val,
            sample_weight=None,
            reset=False,
            incremental=True,
            classes=None,
        )
        weight = None
        if rest and rest[0] is not None:
            weight = self._checked_weights(
                check_sample_weight(
                    rest[0], X_val, dtype=np.float64, ensure_non_negative=True
                )
            )
        return X_val, y_val, weight

    def _make_batches(self, X, y, weight, device, seed, validation=None):
        """Batch the training data and the validation set: ``validation``
        (``fit``'s ``validation_data``, encoded) or, when early stopping without
        it, a split of ``validation_fraction`` of the training data.
        """
        n_samples = X.shape[0]
        valid = None
        index_train = np.arange(n_samples)
        if validation is not None:
            X_val, y_val, weight_val = validation
            valid = self._batches(
                X_val,
                y_val,
                weight_val,
                np.arange(X_val.shape[0]),
                device,
                shuffle=False,
            )
        elif self._early_stopping:  # never with partial_fit, which refuses it
            if hasattr(X, "validation_split"):  # X read block by block
                index_train, index_valid = X.validation_split(self, y, seed)
            else:
                stratify = self._stratify_labels(y)
                self._check_validation_split(n_samples, stratify)
                index_train, index_valid = train_test_split(
                    index_train,
                    test_size=self.validation_fraction,
                    stratify=stratify,
                    random_state=seed % (2**32),
                )
            valid = self._batches(X, y, weight, index_valid, device, shuffle=False)
        batch_size = self._batch_size(len(index_train))
        generator = torch.Generator().manual_seed(seed)
        train = self._batches(
            X,
            y,
            weight,
            index_train,
            device,
            shuffle=self.shuffle,
            batch_size=batch_size,
            generator=generator,
        )
        if valid is not None:
            valid.batch_size = max(batch_size, self._inference_batch_size)
        return train, valid

    def _check_validation_split(self, n_samples: int, stratify) -> None:
        """Say, in skdl's parameters, why ``validation_fraction`` cannot split.

        scikit-learn's ``train_test_split`` would name its own ``test_size`` and
        encoded class indices. ``stratify`` holds the encoded classes (or None).
        """
        fraction = self.validation_fraction
        n_valid = math.ceil(fraction * n_samples)
        n_train = n_samples - n_valid
        if n_valid < 2:
            raise ValueError(
                "The validation set is too small: with validation_fraction="
                f"{fraction} and {n_samples} samples it holds {n_valid}; early "
                "stopping needs at least 2. Raise validation_fraction or add "
                "samples, or set early_stopping=False."
            )
        if n_train < 1:
            raise ValueError(
                f"validation_fraction={fraction} of {n_samples} samples leaves no "
                "sample to train on. Lower validation_fraction, or set "
                "early_stopping=False."
            )
        if stratify is None:
            return
        name = type(self).__name__
        codes, counts = np.unique(stratify, return_counts=True)
        if counts.min() < 2:
            rare = self.classes_[codes[counts < 2].astype(int)].tolist()
            raise ValueError(
                f"{name} with early_stopping=True sets aside validation_fraction="
                f"{fraction} of each class for validation, so every class needs "
                f"at least 2 samples; class {rare[0]!r} has only 1"
                + (f" (so do {rare[1:]})" if len(rare) > 1 else "")
                + ". Add samples of that class, or set early_stopping=False."
            )
        n_classes = len(codes)
        if n_valid < n_classes:
            part, held = "validation", n_valid
            fix = f"raise validation_fraction to at least {n_classes / n_samples:.3g}"
        elif n_train < n_classes:
            part, held = "training", n_train
            fix = (
                f"lower validation_fraction to at most {1 - n_classes / n_samples:.3g}"
            )
        else:
            return
        raise ValueError(
            f"{name} with early_stopping=True splits the {n_samples} samples by "
            f"class, so the {part} part needs one sample of each of the {n_classes} "
            f"classes; validation_fraction={fraction} gives it {held}. To fix, "
            f"{fix}, add samples, or set early_stopping=False."
        )

    def _batches(
        self, X, y, weight, index, device, *, shuffle, batch_size=1, generator=None
    ):
        if hasattr(X, "batches"):  # X read block by block
            return X.batches(
                y,
                weight,
                index,
                device,
                shuffle=shuffle,
                batch_size=batch_size,
                generator=generator,
            )
        whole = len(index) == X.shape[0]
        take = (lambda a: a) if whole else (lambda a: a[index])
        # X that stays on the host (sparse, memory-mapped, too big for the GPU):
        # batches read their rows, and a split keeps indices instead of copies
        return Batches(
            HostRows(X, device, None if whole else index)
            if reads_lazily(X, device)
            else to_rows(take(X), device),
            None if y is None else to_rows(take(y), device),
            None if weight is None else to_rows(take(weight), device),
            batch_size=batch_size,
            shuffle=shuffle,
            generator=generator,
        )

    def _stratify_labels(self, y):
        """The labels that the early-stopping split is stratified by, or None."""
        return None

    def _batch_size(self, n_samples: int) -> int:
        if self.solver == "lbfgs":
            return n_samples
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {n_samples} "
                "training samples; using batches of all samples.",
                UserWarning,
                stacklevel=external_stacklevel(),
            )
        return min(self.batch_size, n_samples)

    def _epochs(self, n_batches: int) -> int:
        """Epochs of a fit of ``n_batches`` batches each: ``max_iter``, which a
        subclass may resolve from the data.
        """
        return self.max_iter

    def _new_net(self, device, batch_size, mean_weight, module=None):
        params = self.get_params(deep=False)
        if module is None:
            module = self._build_module().to(_TORCH_FLOATS[self._float_dtype])
            module_params = params
        else:  # warm start: the module keeps the parameters that built it
            module_params = self._built_with["module"]
        # sklearn divides the L2 penalty by the batch's total sample weight
        # estimators without an L2 penalty have no alpha
        l2 = getattr(self, "alpha", 0.0) / (batch_size * mean_weight)
        optimizer_kwargs = self._optimizer_kwargs(l2)
        autocast_dtype = self._autocast_dtype(device)
        lbfgs = self.solver == "lbfgs"
        # how the module and the net were made, whatever set_params changes
        # later: skdl.io rebuilds exactly this net from it
        self._built_with = {
            "module": module_params,
            "net": params,
            "batch_size": batch_size,
            "mean_weight": mean_weight,
            "device": str(device),
        }
        return self._make_net(
            module=module,
            criterion=self._make_criterion(),
            optimizer=_SOLVERS[self.solver],
            lr=1.0 if lbfgs else self.learning_rate_init,
            max_epochs=self.max_iter,
            batch_size=batch_size,
            train_split=None,
            callbacks=self._training_callbacks(),
            verbose=0,
            device=str(device),
            score_fn=self._score_fn,
            train_score_fn=self._train_score_fn,
            autocast_dtype=autocast_dtype,
            compile_options=self._compile_options(),
            l2_in_loss=l2 if lbfgs else 0.0,
            l2_reported=0.0 if lbfgs else l2,
            owner=type(self).__name__,
            reported_loss_scale=self._reported_loss_scale,
            **{f"optimizer__{key}": value for key, value in optimizer_kwargs.items()},
        )

    def _compile_options(self) -> dict | None:
        if getattr(self, "compile", False) is False:
            return None
        return {} if self.compile is True else dict(self.compile)

    def _optimizer_kwargs(self, decay: float) -> dict:
        """Keyword arguments of the torch optimizer named by ``solver``.

        ``decay`` is ``alpha`` over the batch's total sample weight: as
        ``weight_decay`` on weight matrices (biases and norm layers are not
        decayed) it is the gradient of scikit-learn's penalty
        ``0.5 * alpha * ||W||^2 / n_batch``.
        """
        if self.solver == "sgd":
            nesterov = self.nesterovs_momentum and self.momentum > 0
            return {
                "momentum": self.momentum,
                "nesterov": nesterov,
                "weight_decay": decay,
            }
        if self.solver in ("adam", "adamw", "adamax", "nadam"):
            kwargs = {
                "betas": (self.beta_1, self.beta_2),
                "eps": self.epsilon,
                "weight_decay": decay,
            }
            if self.solver in ("adam", "adamw"):
                kwargs["amsgrad"] = getattr(self, "amsgrad", False)
            return kwargs
        if self.solver in ("rmsprop", "adadelta"):
            kwargs = {"eps": self.epsilon, "weight_decay": decay}
            rho = getattr(self, "rho", None)
            if rho is not None:  # torch's default otherwise (0.99, 0.9)
                kwargs["alpha" if self.solver == "rmsprop" else "rho"] = rho
            return kwargs
        if self.solver == "adagrad":
            return {"eps": self.epsilon, "weight_decay": decay}
        return {
            "max_iter": 1,
            # room for the line search inside the one iteration of each epoch
            "max_eval": 25,
            "tolerance_grad": self.tol,
            "history_size": 10,
            "line_search_fn": "strong_wolfe",
        }

    def _autocast_dtype(self, device: torch.device):
        precision = self._precision
        if precision == "float64" and device.type == "mps":
            raise ValueError(
                "precision='float64' needs a device with float64 arithmetic: CPU or "
                "CUDA; MPS has none. Use precision='float32' on MPS."
            )
        dtype = _PRECISIONS[precision]
        if dtype is not None and device.type != "cuda":
            warnings.warn(
                f"precision={precision!r} (mixed precision) runs on CUDA "
                f"devices only; training on {device.type} in float32.",
                UserWarning,
                stacklevel=external_stacklevel(),
            )
            return None
        return dtype

    def _training_callbacks(self) -> list:
        callbacks = self._stopping_callbacks()
        if self.verbose:
            callbacks.append(("iteration_log", IterationLog()))
        # an estimator without early_stopping (GANSampler) has no validation set
        validated = "early_stopping" in self._parameter_constraints
        check_callbacks(
            self.callbacks,
            type(self).__name__,
            validated=validated,
            optimizers=self._optimizer_count,
        )
        return callbacks + list(self.callbacks or [])

    def _stopping_callbacks(self) -> list:
        """Callbacks of the stopping rules and learning-rate schedules.

        The stopping rule runs in partial_fit too, as in scikit-learn: there it
        can only lower an 'adaptive' learning rate (a call trains one epoch).
        """
        callbacks = []
        if self.solver == "lbfgs":
            callbacks.append(("lbfgs_convergence", LBFGSConvergence(self.max_fun)))
        elif self._stops_on_convergence:
            callbacks.append(
                (
                    "convergence",
                    Convergence(
                        self._stopping_monitor(),
                        tol=self.tol,
                        n_iter_no_change=self.n_iter_no_change,
                        lower_lr_on_plateau=self.learning_rate == "adaptive",
                        restore_best=self._early_stopping,
                    ),
                )
            )
        return callbacks + self._schedule_callbacks()

    def _schedule_callbacks(self) -> list:
        """Callbacks of the learning-rate schedules (each sets the rate of every
        optimizer of the net).
        """
        callbacks = []
        if self.solver != "lbfgs" and self.learning_rate == "invscaling":
            callbacks.append(
                ("invscaling", InverseScalingLR(self.learning_rate_init, self.power_t))
            )
        if self.solver != "lbfgs" and self.learning_rate in ("exponential", "step"):
            callbacks.append(
                (
                    "lr_decay",
                    ExponentialDecayLR(
                        self.learning_rate_init,
                        self.decay_rate,
                        self.decay_steps,
                        staircase=self.learning_rate == "step",
                        min_learning_rate=self.min_learning_rate,
                    ),
                )
            )
        if self.solver != "lbfgs" and self.learning_rate == "plateau":
            callbacks.append(
                (
                    "plateau",
                    ReduceLROnPlateau(
                        self.decay_rate,
                        self.plateau_patience,
                        tol=self.tol,
                        min_learning_rate=self.min_learning_rate,
                    ),
                )
            )
        return callbacks

    def _stopping_monitor(self) -> str:
        """The history key of the stopping rule: ``train_loss`` without early
        stopping, else ``valid_score`` or ``valid_loss`` (``early_stopping_monitor``).
        """
        if not self._early_stopping:
            return "train_loss"
        monitor = getattr(self, "early_stopping_monitor", "score")
        return "valid_loss" if monitor == "loss" else "valid_score"

    def _set_fitted_attributes(self, net, outcome, incremental, n_before):
        self.net_ = net
        net.module_.eval()
        self.__dict__.update(
            _history_attributes(
                net.history, self._early_stopping, len(net.history) - n_before
            )
        )
        name = type(self).__name__
        if outcome == "interrupted":
            warnings.warn(
                f"{name} training was interrupted after {self.n_iter_} epochs; the "
                "model keeps the weights reached so far (n_iter_ says how far).",
                UserWarning,
                stacklevel=external_stacklevel(),
            )
        elif outcome == "diverged":
            warnings.warn(
                f"{name} training diverged in epoch {len(net.history)} (the validation "
                "score became NaN); early stopping kept the weights of the epoch "
                "with the best validation score, "
                f"{self.best_validation_score_:.4g}. Lower learning_rate_init or "
                "scale X (e.g. with StandardScaler) to train further.",
                ConvergenceWarning,
                stacklevel=external_stacklevel(),
            )
        elif outcome == "not_converged":
            warnings.warn(
                f"{name} stopped before converging: {net.stop_message_}",
                ConvergenceWarning,
                stacklevel=external_stacklevel(),
            )
        elif outcome == "max_iter" and not incremental and self._stops_on_convergence:
            warnings.warn(
                f"{name}: the maximum number of epochs (max_iter={self.max_iter}) "
                "was reached and the optimization hasn't converged yet "
                f"(tol={self.tol}). Increase max_iter if the loss is still falling.",
                ConvergenceWarning,
                stacklevel=external_stacklevel(),
            )

    @property
    def _precision(self) -> str:
        # estimators that sample unit by unit have no precision or compile
        return getattr(self, "precision", "float32")

    @property
    def _early_stopping(self) -> bool:
        # estimators without a validation score have no early_stopping; 'lbfgs'
        # ignores it, as scikit-learn's MLPs do: it trains on all of X
        return (
            getattr(self, "early_stopping", False)
            and getattr(self, "solver", None) != "lbfgs"
        )

    def _check_solver(self) -> bool:
        if self.solver == "lbfgs":
            raise AttributeError(
                "partial_fit is only available for stochastic solvers; "
                f"solver={self.solver!r} is not stochastic."
            )
        return True

    # -- inference --------------------------------------------------------------------
    def _inference_batches(self, X, device: torch.device):
        """Module inputs for inference, and the order of ``X``'s rows they hold.

        Returns an iterable of batches and a permutation of the rows (None when
        the batches hold the rows in order). Estimators whose inputs need their own
        batching (padded token sequences grouped by length) override this.
        """
        rows = to_rows(X, device)
        chunk = self._inference_batch_size
        batches = (rows[start : start + chunk] for start in range(0, len(rows), chunk))
        return batches, None

    def __sklearn_is_fitted__(self) -> bool:
        # what check_is_fitted reads, instead of scanning every attribute for a
        # trailing underscore (30 us of a one-row prediction)
        return "net_" in self.__dict__

    def _checked_input(self, X, validate=None):
        """``X`` validated for prediction, once the estimator is fitted.

        ``validate(X)``, when given, replaces ``_validate_X`` (an autoencoder's
        codes are no rows of features).
        """
        check_is_fitted(self)
        with memory_advice(self._predicting_advice()):
            return (validate or self._validate_X)(X)

    def _predicting_advice(self) -> str:
        return (
            f"{type(self).__name__} ran out of memory on {self.net_.device} while "
            f"predicting in batches of up to {self._inference_batch_size} rows. "
            "Pass fewer rows per call."
        )

    def _forward(self, X, dtype=np.float64, apply=None) -> np.ndarray:
        """Module outputs after ``_output_function``, as a numpy array of ``dtype``.

        ``apply(module, batch)``, when given, computes one batch's outputs
        instead of ``_output_function(module(batch))``: another method of the
        module (an autoencoder's ``encode`` or ``decode``), or outputs that need
        the batch's inputs too (a language model's likelihood of the tokens it
        reads). ``module`` is ``net_.forward_module()``. Batching, threads,
        memory advice and the finiteness check stay the same.
        """
        net = self.net_
        module = net.module_
        if module.training:
            module.eval()
        with memory_advice(self._predicting_advice()):
            batches, order = self._inference_batches(X, torch.device(net.device))
            n_rows = min(X.shape[0], self._inference_batch_size)
            with torch.inference_mode(), net.autocast(), self._threads(net, n_rows):
                forward = net.forward_module()
                if apply is None:
                    outputs = [self._output_function(forward(b)) for b in batches]
                else:
                    outputs = [apply(forward, batch) for batch in batches]
            out = outputs[0] if len(outputs) == 1 else torch.cat(outputs)
            if order is not None:
                out = out[torch.argsort(order.to(out.device))]
            if out.is_floating_point():  # bfloat16 has no numpy dtype
                out = at_least_float32(out)
            out = out.cpu().numpy().astype(dtype, copy=False)
        _check_finite_outputs(out, X, self)
        return out

    def _output_function(self, raw: torch.Tensor) -> torch.Tensor:
        return raw

    @on_cpu_by_default
    def summary(self) -> None:
        """Print the layers, their output shapes and parameter counts.

        Like Keras' ``model.summary()``: one row per layer (a module without
        children, or one that holds parameters of its own) in the order they run
        on one example row, one per call, then the total, trainable and
        non-trainable parameter counts: the sums of the rows (a layer that runs
        twice counts on its first row, a parameter that two layers share on the
        first one's). A layer is named by its path in the module
        (``discriminator.net.0``: the first layer of the discriminator); the
        layers with parameters that do not run when the model predicts (a
        GAN's discriminator) follow, marked ``(not run)``.
        """
        check_is_fitted(self)
        module = self.net_.module_
        rows, counted, seen = [], set(), set()

        def record(name, layer, output):
            shape = "?"
            if torch.is_tensor(output):
                shape = str((None, *output.shape[1:]))
            rows.append((name, layer, shape))

        _trace_layers(module, self._example_input(), record)
        ran = {layer for _, layer, _ in rows}
        rows += [
            (name, layer, "(not run)")
            for name, layer in _layers(module)
            if layer not in ran and _own_parameters(layer)
        ]
        table = []
        for name, layer, shape in rows:
            kind = type(layer).__name__
            params = 0
            if layer not in counted:
                counted.add(layer)
                # a parameter that layers share (tied weights) counts once
                own = [p for p in layer.parameters(recurse=False) if id(p) not in seen]
                seen.update(map(id, own))
                params = sum(p.numel() for p in own)
            table.append((f"{name or _snake_case(kind)} ({kind})", shape, params))
        total = sum(p.numel() for p in module.parameters())
        trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
        width = max([34, *(len(r[0]) + 2 for r in table)])
        line = "=" * (width + 36)
        lines = [
            f'Model: "{type(self).__name__}"',
            line,
            f"{'Layer (type)':<{width}}{'Output Shape':<24}{'Param #':>12}",
            line,
        ]
        lines += [f"{n:<{width}}{s:<24}{p:>12,}" for n, s, p in table]
        lines += [
            line,
            f"Total params: {total:,}",
            f"Trainable params: {trainable:,}",
            f"Non-trainable params: {total - trainable:,}",
            line,
        ]
        if len(ran) < len(counted):
            lines.append(
                "(not run): the layer does not run when the model predicts, "
                "transforms or samples; its parameters count in the totals."
            )
        print("\n".join(lines))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class TorchClassifierMixin(ClassifierMixin):
    """Label handling, outputs and losses for classifiers.

    Binary targets use one logistic output and ``BCEWithLogitsLoss``, multiclass
    targets a softmax over ``n_classes`` outputs and ``CrossEntropyLoss``, and
    multilabel indicator matrices one logistic output per label, as in
    scikit-learn's MLPClassifier. ``classes_`` holds the labels as given (strings
    or any ints).

    Examples
    --------
    >>> import numpy as np
    >>> from skdl import MLPClassifier
    >>> X = np.array([[0.0], [0.1], [0.9], [1.0]])
    >>> model = MLPClassifier(solver="lbfgs", random_state=0)
    >>> model.fit(X, ["low", "low", "high", "high"]).classes_
    array(['high', 'low'], dtype='<U4')
    >>> model.out_activation_
    'logistic'
    """

    _parameter_constraints: dict = {
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def _encode_targets(self, y, *, X, sample_weight, reset, incremental, classes):
        sparse = sp.issparse(y)  # an indicator matrix: multilabel or one-hot
        y = y.toarray() if sparse else y
        if y.ndim == 2 and y.shape[1] == 1:
            y = labels_1d(y)
        one_hot = getattr(self, "one_hot", False) if reset else self._reads_one_hot
        if one_hot:  # class indices from the columns of a one-hot y
            y, n_classes = self._one_hot_labels(y, reset), y.shape[1]
            columns = np.arange(n_classes)
            if classes is not None and not np.array_equal(np.unique(classes), columns):
                raise ValueError(
                    f"With one_hot=True the classes are the {n_classes} columns of "
                    f"y, 0 to {n_classes - 1}; got classes="
                    f"{np.unique(classes).tolist()}. Leave classes out, or pass "
                    "class labels with one_hot=False."
                )
            classes = columns if reset else classes
        target_type = type_of_target(y, input_name="y")
        if reset:
            self.__dict__.pop("_one_hot", None)
            self.__dict__.pop("_sparse_y", None)
            if one_hot:
                self._one_hot = True
            if sparse and (one_hot or target_type == "multilabel-indicator"):
                self._sparse_y = True  # predict answers in kind, as sklearn's
            self._set_classes(y, target_type, classes)
        elif classes is not None and not np.array_equal(
            np.unique(classes), self.classes_
        ):
            raise ValueError(
                f"classes={np.unique(classes).tolist()} differs from the classes of "
                f"the first partial_fit call, classes_={self.classes_.tolist()}."
            )
        if self.out_activation_ == "logistic" and self.n_outputs_ > 1:
            if target_type != "multilabel-indicator" or y.shape[1] != self.n_outputs_:
                raise ValueError(
                    f"{type(self).__name__} was fitted on a multilabel indicator "
                    f"matrix with {self.n_outputs_} columns; got y of type "
                    f"{target_type!r} with shape {y.shape}."
                )
            encoded = np.asarray(y, dtype=self._float_dtype)
        else:
            if target_type not in ("binary", "multiclass"):
                raise ValueError(
                    f"Unknown label type: {target_type!r}. {type(self).__name__} "
                    "takes binary, multiclass or multilabel-indicator targets."
                )
            labels = unique_labels(y)
            if not (incremental or reset) and not np.array_equal(labels, self.classes_):
                # a fit that continues (warm_start) must see every class again
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes "
                    f"as in the previous call to fit. Previously got {self.classes_}, "
                    f"`y` has {labels}. Fit with warm_start=False to learn other "
                    "classes."
                )
            unseen = np.setdiff1d(labels, self.classes_)
            if len(unseen):
                raise ValueError(
                    f"y contains labels that were not seen before: {unseen.tolist()}; "
                    f"classes_ is {self.classes_.tolist()}. Pass every label in "
                    "`classes` on the first partial_fit call, or refit."
                )
            encoded = self._label_encoder.transform(y)
            encoded = (
                encoded.astype(self._float_dtype).reshape(-1, 1)
                if self.out_activation_ == "logistic"
                else encoded.astype(np.int64)
            )
        weight = self._sample_weights(y, X, sample_weight, target_type)
        return encoded, weight

    @property
    def _reads_one_hot(self) -> bool:
        """Whether the fitted classifier takes and predicts one-hot rows."""
        return self.__dict__.get("_one_hot", False)

    def _one_hot_labels(self, y, reset: bool) -> np.ndarray:
        """The class index of each row of a one-hot ``y`` (``one_hot=True``)."""
        name = type(self).__name__
        Y = np.asarray(y)
        if not (
            Y.ndim == 2
            and Y.shape[1] >= 2
            and np.isin(Y, (0, 1)).all()
            and (Y.sum(axis=1) == 1).all()
        ):
            what = (
                f"an array of shape {Y.shape}"
                if Y.ndim != 2
                else "a matrix whose rows are not all 0/1 with exactly one 1"
            )
            rows = (
                "one-hot rows (a 0/1 matrix with exactly one 1 per row, as "
                f"keras.utils.to_categorical gives); got {what}."
            )
            if not reset:  # whatever one_hot says now
                raise ValueError(
                    f"{name} was fitted with one_hot=True, so partial_fit and "
                    f"warm_start fits take y as {rows} Fit with warm_start=False "
                    "to train on class labels."
                )
            raise ValueError(
                f"{name} with one_hot=True takes y as {rows} Pass class labels "
                "with one_hot=False, or a multilabel indicator matrix with "
                "one_hot=False."
            )
        if not reset and Y.shape[1] != len(self.classes_):
            raise ValueError(
                f"y has {Y.shape[1]} one-hot columns, but {name} was fitted on "
                f"{len(self.classes_)} classes."
            )
        return Y.argmax(axis=1)

    def _set_classes(self, y, target_type, classes):
        name = type(self).__name__
        if target_type == "multilabel-indicator":
            _warn_if_one_hot(y, name)
            self.classes_ = np.arange(y.shape[1])
            self.n_outputs_ = y.shape[1]
            self.out_activation_ = "logistic"
            return
        if target_type not in ("binary", "multiclass"):
            raise ValueError(
                f"Unknown label type: {target_type!r}. {name} takes binary, "
                "multiclass or multilabel-indicator targets."
            )
        labels = unique_labels(y) if classes is None else np.unique(classes)
        self._label_encoder = LabelEncoder().fit(labels)
        self.classes_ = self._label_encoder.classes_
        # one class: a softmax over one output, which predicts it with probability 1
        binary = len(self.classes_) == 2
        self.n_outputs_ = 1 if binary else len(self.classes_)
        self.out_activation_ = "logistic" if binary else "softmax"

    def _stratify_labels(self, y):
        # the class index of each sample (a binary target is a column of 0/1); a
        # multilabel target is not stratified, as in scikit-learn
        if self.out_activation_ == "logistic" and self.n_outputs_ > 1:
            return None
        return y.ravel().astype(np.int64)

    def _sample_weights(self, y, X, sample_weight, target_type):
        weight = None
        if self.class_weight is not None:
            if target_type == "multilabel-indicator":
                raise ValueError(
                    "class_weight is not supported for multilabel targets; pass "
                    "sample_weight instead."
                )
            if isinstance(self.class_weight, dict):
                _check_class_weight(self.class_weight)
            weight = compute_sample_weight(self.class_weight, y)
        if sample_weight is not None:
            sample_weight = check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
            weight = sample_weight if weight is None else weight * sample_weight
        return self._checked_weights(weight)

    @property
    def _loss_name(self):
        return _canonical_loss(getattr(self, "loss", "log_loss"))

    def _make_criterion(self) -> nn.Module:
        loss, softmax = self._loss_name, self.out_activation_ == "softmax"
        if not isinstance(loss, str):
            return UserLoss(loss)
        if loss in ("hinge", "squared_hinge"):
            squared = loss == "squared_hinge"
            return MulticlassHinge(squared) if softmax else BinaryHinge(squared)
        if loss == "focal":
            return FocalLoss(binary=not softmax)
        return nn.CrossEntropyLoss() if softmax else nn.BCEWithLogitsLoss()

    @property
    def _train_score_fn(self):
        # the training accuracy of each epoch, for the accuracies the base
        # defines (an estimator with a score of its own records none)
        return _CORRECT.get(self._score_fn)

    @property
    def _score_fn(self):
        return (
            _accuracy_softmax
            if self.out_activation_ == "softmax"
            else _accuracy_logistic
        )

    def _output_function(self, raw):
        if self.out_activation_ == "softmax":
            return _softmax(at_least_float32(raw))
        return torch.sigmoid(at_least_float32(raw))

    @lazy_on_dask
    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class (each label, for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``; rows sum to 1 except for multilabel
            targets, where each column is an independent probability. float32
            when ``X`` and the model both are float32, float64 otherwise.
        """
        rows = self._checked_input(X)
        binary = self.out_activation_ == "logistic" and self.n_outputs_ == 1
        return self._forward(
            rows, self._output_dtype(X), apply=_binary_proba if binary else None
        )

    @lazy_on_dask
    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @lazy_on_dask
    def predict(self, X) -> np.ndarray:
        """Predict class labels (an indicator matrix for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_``; a CSR matrix of indicator rows for a
            model fitted on a sparse ``y``, as in scikit-learn.
        """
        X = self._checked_input(X)
        proba = self._forward(X)
        if self.out_activation_ == "softmax":
            index = proba.argmax(axis=1)
        elif self.n_outputs_ == 1:
            index = (proba[:, 0] > 0.5).astype(int)
        else:
            return self._indicator((proba > 0.5).astype(int))
        if self._reads_one_hot:  # rows like y's: the class's column set to 1
            return self._indicator(np.eye(len(self.classes_), dtype=int)[index])
        return self.classes_[index]

    def _indicator(self, matrix: np.ndarray):
        """Predicted indicator rows: a CSR matrix if the fit's ``y`` was sparse."""
        return sp.csr_matrix(matrix) if self.__dict__.get("_sparse_y") else matrix

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class TorchRegressorMixin(RegressorMixin):
    """Targets, outputs and losses for regressors (one or several outputs).

    Examples
    --------
    >>> import numpy as np
    >>> from skdl import MLPRegressor
    >>> X = np.linspace(0, 1, 20).reshape(-1, 1)
    >>> Y = np.hstack([X, 2 * X])  # two outputs
    >>> model = MLPRegressor(solver="lbfgs", random_state=0).fit(X, Y)
    >>> model.n_outputs_, model.predict(X).shape
    (2, (20, 2))
    """

    def _encode_targets(self, y, *, X, sample_weight, reset, incremental, classes):
        y = y.toarray() if sp.issparse(y) else np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = labels_1d(y)  # one output, predicted 1-D: warned as in scikit-learn
        if self._float_dtype == np.float32:  # the cast would make infinities
            check_float32_range(
                y,
                subject="y holds",
                advice=f"{type(self).__name__} computes. Scale y (e.g. with "
                "sklearn.compose.TransformedTargetRegressor and a StandardScaler), "
                "or set precision='float64'.",
            )
        y = y.astype(self._float_dtype, copy=False)
        y = y.reshape(-1, 1) if y.ndim == 1 else y
        if reset:
            self.n_outputs_ = y.shape[1]
            self.out_activation_ = "exp" if self._loss_name == "poisson" else "identity"
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} outputs, but {type(self).__name__} was fitted "
                f"with {self.n_outputs_}."
            )
        if self._loss_name in ("poisson", "squared_log_error") and (y < 0).any():
            raise ValueError(
                f"loss={self._loss_name!r} needs non-negative targets; y has "
                "negative values. Shift y, or use another loss (e.g. "
                "loss='squared_error')."
            )
        weight = None
        if sample_weight is not None:
            weight = check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        return y, self._checked_weights(weight)

    @property
    def _loss_name(self) -> str:
        return _canonical_loss(getattr(self, "loss", "squared_error"))

    @property
    def _reported_loss_scale(self) -> float:
        # scikit-learn minimises half the squared error summed over the outputs,
        # but reports it averaged over them
        return 1 / self.n_outputs_ if self._loss_name == "squared_error" else 1.0

    def _make_criterion(self) -> nn.Module:
        loss = self._loss_name
        if not isinstance(loss, str):
            return UserLoss(loss)
        return _REGRESSION_CRITERIA[loss]()

    @property
    def _score_fn(self):
        return _r2_exp if self.out_activation_ == "exp" else _r2

    def _output_function(self, raw):
        return torch.exp(raw) if self.out_activation_ == "exp" else raw

    @lazy_on_dask
    def predict(self, X) -> np.ndarray:
        """Predict the target(s).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            float32 when ``X`` and the model both are float32, float64
            otherwise.
        """
        y = self._forward(self._checked_input(X), self._output_dtype(X))
        return y.ravel() if self.n_outputs_ == 1 else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class TorchTransformerMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin):
    """Unsupervised estimators whose outputs are features.

    ``fit(X)`` trains on batches without targets (an estimator whose loss
    compares outputs with the rows themselves returns them from
    ``_encode_targets``, as an autoencoder does). ``_build_module`` sets
    ``_n_features_out``, the width of :meth:`transform`'s output, for
    ``get_feature_names_out``. Features computed from float32 ``X`` are float32,
    as scikit-learn's transformers keep them.

    Examples
    --------
    >>> import numpy as np
    >>> from skdl import AutoencoderTransformer
    >>> X = np.random.RandomState(0).rand(20, 4).astype(np.float32)
    >>> model = AutoencoderTransformer((2,), max_iter=5, random_state=0).fit(X)
    >>> model.transform(X).dtype, model.get_feature_names_out()
    (dtype('float32'), array(['autoencodertransformer0', 'autoencodertransformer1'],
          dtype=object))
    """

    def _validate_X_y(self, X, y, *, reset):
        X = validate_data(
            self,
            X,
            accept_sparse=("csr", "csc"),
            dtype=self._float_dtype,
            reset=reset,
        )
        return X, None

    def _encode_targets(self, y, *, X, sample_weight, reset, incremental, classes):
        return None, None

    def _features(self, X, apply, validate=None) -> np.ndarray:
        """``apply(module, rows)`` on the rows of ``X``: see ``_forward``.

        ``X`` is validated (by ``validate``, if given) with the memory advice of
        prediction; the result is float32 for float32 ``X``, else float64.
        """
        rows = self._checked_input(X, validate)
        return self._forward(rows, input_float_dtype(X), apply=apply)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


_REGRESSION_CRITERIA = {
    "squared_error": HalfSquaredError,
    "absolute_error": AbsoluteError,
    "huber": nn.HuberLoss,
    "poisson": HalfPoissonLoss,
    "mean_absolute_percentage_error": PercentageError,
    "squared_log_error": SquaredLogError,
}


def _layers(module: nn.Module):
    """``(name, layer)`` for each layer of ``module``: the modules without
    children, and those that hold parameters of their own (an LVQ module's
    prototypes), so that the layers' parameters add up to the module's.
    """
    for name, layer in module.named_modules():
        if next(layer.children(), None) is None or _own_parameters(layer):
            yield name, layer


def _own_parameters(layer: nn.Module) -> bool:
    """Whether ``layer`` holds parameters itself (not only through children)."""
    return next(layer.parameters(recurse=False), None) is not None


def _snake_case(name: str) -> str:
    """``"LVQModule"`` -> ``"lvq_module"``, as Keras names its layers."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def _trace_layers(module: nn.Module, example: torch.Tensor, record) -> None:
    """Run ``example`` through ``module``, calling ``record(name, layer, output)``
    for each layer (see ``_layers``) as it runs (a recurrent layer's output is its
    sequence).

    Runs in inference mode with the module in eval mode, then restores its mode.
    """

    def hook(name):
        def call(layer, inputs, output):
            record(name, layer, output[0] if isinstance(output, tuple) else output)

        return call

    handles = [
        layer.register_forward_hook(hook(name)) for name, layer in _layers(module)
    ]
    training = module.training
    like = next(module.parameters(), example)
    if example.is_floating_point():  # in the module's precision
        example = example.to(like.dtype)
    try:
        module.eval()
        with torch.inference_mode():
            module(example.to(like.device))
    finally:
        module.train(training)
        for handle in handles:
            handle.remove()


def _row_work(module: nn.Module, example: torch.Tensor) -> int:
    """Multiply-adds per row of the largest kernel call of a forward pass.

    Counted on ``example`` (one row): a linear layer's product, a convolution
    over all its output positions, one time step of a recurrent layer. Threads
    pay off when single kernel calls are large, whatever their number.
    """
    largest = 0

    def record(name, layer, output):
        nonlocal largest
        if isinstance(layer, nn.Linear):
            work = output.numel() * layer.in_features
        elif isinstance(layer, nn.modules.conv._ConvNd):
            work = output.numel() * layer.weight[0].numel()
        elif isinstance(layer, nn.RNNBase):
            work = sum(p.numel() for p in layer.parameters()) // layer.num_layers
        else:
            return
        largest = max(largest, work)

    _trace_layers(module, example, record)
    return largest


def _history_attributes(history, early_stopping: bool, n_iter: int) -> dict:
    """The fitted attributes that summarize a training ``history``.

    ``validation_scores_`` and ``best_validation_score_`` are reported when
    ``early_stopping`` is on and the history holds validation scores, and
    ``best_loss_`` otherwise, as in scikit-learn's MLPs.
    """
    loss_curve = list(history[:, "train_loss"])
    scores = [row["valid_score"] for row in history if "valid_score" in row]
    reported = bool(early_stopping and scores)
    return {
        "history_": history,
        "n_iter_": n_iter,  # the epochs of the last call, as in scikit-learn
        "loss_curve_": loss_curve,
        "loss_": loss_curve[-1],
        "t_": history[-1, "samples_seen"],
        "validation_scores_": scores if reported else None,
        # NaN (a diverged epoch) is never the best, as in scikit-learn
        "best_validation_score_": (
            max((s for s in scores if s == s), default=float("nan"))
            if reported
            else None
        ),
        "best_loss_": None if reported else min(loss_curve),
    }


def _check_finite_outputs(out: np.ndarray, X, estimator) -> None:
    """Refuse to turn NaN or infinite network outputs into predictions.

    Finite inputs far outside the training range (1e30 fits in float32) can
    overflow the arithmetic of the network; argmax or thresholds would then
    return an arbitrary label without a word.
    """
    if np.isfinite(out).all():
        return
    name, dtype = type(estimator).__name__, estimator._fitted_float_dtype()
    finite = np.isfinite(out).reshape(len(out), -1).all(axis=1)
    bad = np.flatnonzero(~finite)
    largest = ""
    if isinstance(X, np.ndarray) and np.issubdtype(X.dtype, np.number):
        largest = f" (the largest absolute value in X is {np.abs(X).max():.3g})"
    raise ValueError(
        f"{name} computed NaN or infinite outputs for {len(bad)} of {len(out)} "
        f"samples (the first is row {bad[0]}): their values overflow the "
        f"{dtype.__name__} arithmetic of the model{largest}. Scale X as the "
        "training data were "
        "scaled, and check it for values far outside the training range."
    )


def _softmax(raw: torch.Tensor) -> torch.Tensor:
    """Softmax over the rows' columns, written out.

    torch's CPU softmax kernel is slow for a few columns: on 8192 x 10 logits
    it took 640 us against 110 us for these four element-wise steps.
    """
    out = (raw - raw.amax(dim=1, keepdim=True)).exp()
    return out.div_(out.sum(dim=1, keepdim=True))


_SETTINGS = (bool, int, float, str, tuple, type(None))


def _layout(module: torch.nn.Module) -> tuple:
    """What makes two modules the same network.

    Their layers, as ``repr`` prints them; each layer's type and the settings
    it keeps as plain attributes (a pooling, a kind of cell, which ``repr``
    may not print); and the shapes of the parameters and buffers.
    """
    layers = [
        (
            name,
            type(layer).__name__,
            {
                key: value
                for key, value in vars(layer).items()
                if not key.startswith("_")
                and key != "training"
                and isinstance(value, _SETTINGS)
            },
        )
        for name, layer in module.named_modules()
    ]
    shapes = [(name, tuple(t.shape)) for name, t in module.state_dict().items()]
    return repr(module), layers, shapes


def _warn_if_one_hot(y, owner: str) -> None:
    """Warn when a multilabel indicator ``y`` looks one-hot encoded.

    A 0/1 matrix with exactly one 1 per row is what Keras' ``to_categorical``
    gives for single-label classes; scikit-learn's convention (and skdl's) reads
    it as independent labels, whose predictions may hold several 1s or none.
    """
    if y.shape[1] < 2:
        return
    counts = np.asarray(y.sum(axis=1)).ravel()
    if not (counts == 1).all():
        return
    warnings.warn(
        f"y is a 0/1 matrix with exactly one 1 per row, as one-hot encoded classes "
        f"(keras.utils.to_categorical) are; {owner} reads such a matrix as "
        "multilabel targets: one independent yes/no output per column, so predict "
        "may return rows with several 1s or none. For single-label classes set "
        "one_hot=True (predict then returns one-hot rows, predict_proba a softmax "
        "over the columns) or pass the labels, fit(X, y.argmax(axis=1)). To keep "
        "multilabel targets and silence this, filter this UserWarning.",
        UserWarning,
        stacklevel=external_stacklevel(),
    )


# validation scores computed on the device from the outputs of a validation pass;
# module-level functions so that fitted nets pickle
def _weighted_mean(values, weight):
    values = values.float()
    if weight is None:
        return values.mean().item()
    return ((values * weight).sum() / weight.sum()).item()


def _accuracy_softmax(outputs, y, weight):
    return _weighted_mean(outputs.argmax(dim=1) == y, weight)


def _binary_proba(forward, batch: torch.Tensor) -> torch.Tensor:
    """Both columns of a binary classifier's probabilities: sigmoid(-z) and
    sigmoid(z), each exact to its own rounding where ``1 - sigmoid(z)`` keeps
    only the digits that 1 has (in float32, nothing below 6e-8).
    """
    raw = at_least_float32(forward(batch))
    return torch.cat([torch.sigmoid(-raw), torch.sigmoid(raw)], dim=1)


def _accuracy_logistic(outputs, y, weight):
    return _weighted_mean(((outputs > 0) == (y > 0.5)).all(dim=1), weight)


def _correct_softmax(outputs, y, weight):
    right = outputs.argmax(dim=1) == y
    return right.sum() if weight is None else (right * weight).sum()


def _correct_logistic(outputs, y, weight):
    right = ((outputs > 0) == (y > 0.5)).all(dim=1)
    return right.sum() if weight is None else (right * weight).sum()


# the (weighted) count of right predictions in a batch, a tensor on the device
_CORRECT = {
    _accuracy_softmax: _correct_softmax,
    _accuracy_logistic: _correct_logistic,
}


def _r2(outputs, y, weight):
    w = torch.ones(len(y), device=y.device) if weight is None else weight
    w = w.reshape(-1, 1)
    mean = (w * y).sum(0) / w.sum()
    residual = (w * (y - outputs) ** 2).sum(0)
    total = (w * (y - mean) ** 2).sum(0)
    r2 = torch.where(total > 0, 1 - residual / total, (residual == 0).float())
    return r2.mean().item()


def _r2_exp(outputs, y, weight):
    return _r2(torch.exp(outputs), y, weight)


def _check_class_weight(class_weight: dict) -> None:
    """Refuse class weights that are not finite numbers >= 0."""
    for label, value in class_weight.items():
        number = isinstance(value, Number) or (
            isinstance(value, np.ndarray) and value.ndim == 0
        )
        if not (
            number
            and np.asarray(value).dtype.kind in "biufO"  # not complex
            and 0 <= float(value) < math.inf
        ):
            raise ValueError(
                "class_weight must map classes to finite weights >= 0; class "
                f"{label!r} has {value!r}."
            )
