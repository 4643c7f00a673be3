"""The base of every skdl estimator that trains a PyTorch module.

:class:`BaseTorchEstimator` holds what no estimator should write twice: parameter
validation, input checks, the device, local seeding, the validation split, the
skorch training loop with sklearn's stopping rules, the fitted history attributes,
restoring the previous state when a fit fails, batched inference and ``summary()``.
:class:`TorchClassifierMixin` and :class:`TorchRegressorMixin` add the target
handling of each task. A concrete estimator adds its parameters and builds its
module in ``_build_module``.
"""

from __future__ import annotations

import copy
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d
from torch import nn

from ._net import Batches, HostRows, SkdlNet, reads_lazily, to_rows
from ._optim import SOLVERS as _SOLVERS
from .callbacks import (
    Convergence,
    EpochProgressBar,
    InverseScalingLR,
    LBFGSConvergence,
)
from .modules import HalfPoissonLoss, HalfSquaredError
from .utils import (
    out_of_memory_error,
    resolve_device,
    seed_from_random_state,
    torch_seeded,
)
from .utils._sklearn import Interval, Options, StrOptions, check_sample_weight
from .utils._state import attributes_restored_on_error
from .utils._torch import N_THREADS_CONSTRAINT, threads_for_steps
from .utils._validation import validate_data

__all__ = ["BaseTorchEstimator", "TorchClassifierMixin", "TorchRegressorMixin"]


_PRECISIONS = {"float32": None, "bfloat16": torch.bfloat16, "float16": torch.float16}

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
            dtype=np.float32,
            multi_output=True,
            y_numeric=not isinstance(self, ClassifierMixin),
            reset=reset,
        )

    def _validate_X(self, X):
        return validate_data(
            self, X, accept_sparse=("csr", "csc"), dtype=np.float32, reset=False
        )

    def _example_input(self) -> torch.Tensor:
        return torch.zeros((1, self.n_features_in_))

    def _train_transform(self, seed: int):
        """Per-batch transform of the training inputs (augmentation), or None.

        Called at the start of every fit with that fit's seed; the callable is
        applied to each training batch only, never to validation batches.
        """
        return None

    # -- fitting ----------------------------------------------------------------------
    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None):
        """Validate, build or reuse the net, train, and set the fitted attributes.

        A call that raises leaves the estimator exactly as it was before it.
        """
        fitted = hasattr(self, "net_")
        fresh = not fitted or not (incremental or self.warm_start)
        saved_training = self._training_snapshot() if not fresh else None
        try:
            with attributes_restored_on_error(self):
                X, y = self._validate_X_y(X, y, reset=fresh)
                y, weight = self._encode_targets(
                    y, X=X, sample_weight=sample_weight, reset=fresh, classes=classes
                )
                device = (
                    torch.device(self.net_.device)
                    if incremental and fitted
                    else resolve_device(self.device)
                )
                salt = 0 if fresh else self.n_iter_
                seed = seed_from_random_state(self.random_state, salt=salt)
                with torch_seeded(seed, device):
                    train, valid = self._make_batches(
                        X, y, weight, device, seed, incremental=incremental
                    )
                    mean_weight = 1.0 if weight is None else float(np.mean(weight))
                    if incremental and fitted:
                        net = self.net_
                    else:  # fresh, or warm start: same module, fresh optimizer
                        net = self._new_net(
                            device,
                            train.batch_size,
                            mean_weight,
                            incremental,
                            module=None if fresh else self.net_.module_,
                        )
                        net.initialize()
                        if fresh:
                            self._initialize_module(net.module_, train)
                    if not fresh and not incremental:
                        net.history = self.net_.history
                    net.criterion_.reduction = "mean" if weight is None else "none"
                    net.train_transform = self._train_transform(seed)
                    with self._threads(net, train.batch_size):
                        outcome = net.fit_epochs(
                            train, valid, 1 if incremental else self.max_iter
                        )
        except BaseException as exc:
            if saved_training is not None:
                self._restore_training(saved_training)
            if isinstance(exc, torch.OutOfMemoryError):
                raise out_of_memory_error(
                    exc,
                    f"{type(self).__name__} ran out of memory while training "
                    f"(batch_size={self.batch_size!r}). Lower batch_size, or use a "
                    "smaller model.",
                ) from exc
            raise
        self._set_fitted_attributes(net, outcome, incremental)
        return self

    def _restore_net(self, state: dict) -> SkdlNet:
        """Rebuild ``net_`` from :meth:`SkdlNet.io_state` (used by :mod:`skdl.io`).

        The net goes to the estimator's ``device`` when this machine has it, else
        to the CPU with a warning.
        """
        try:
            device = resolve_device(self.device)
        except ValueError as exc:
            warnings.warn(
                f"{exc} Loading the model on the CPU instead.",
                UserWarning,
                stacklevel=3,
            )
            device = torch.device("cpu")
        batch_size = self.batch_size if isinstance(self.batch_size, int) else 200
        net = self._new_net(device, batch_size, 1.0, incremental=True)
        net.initialize()
        net.load_io_state(state)
        net.module_.eval()
        self.history_ = net.history
        return net

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

    def _make_batches(self, X, y, weight, device, seed, *, incremental):
        """Split off the validation set (when early stopping) and batch both parts."""
        n_samples = X.shape[0]
        valid = None
        index_train = np.arange(n_samples)
        if self.early_stopping and not incremental:
            stratify = y if isinstance(self, ClassifierMixin) and y.ndim == 1 else None
            index_train, index_valid = train_test_split(
                index_train,
                test_size=self.validation_fraction,
                stratify=stratify,
                random_state=seed % (2**32),
            )
            if len(index_valid) < 2:
                raise ValueError(
                    "The validation set is too small: with validation_fraction="
                    f"{self.validation_fraction} and {n_samples} samples it holds "
                    f"{len(index_valid)}. Increase validation_fraction or the number "
                    "of samples, or set early_stopping=False."
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

    def _batches(
        self, X, y, weight, index, device, *, shuffle, batch_size=1, generator=None
    ):
        whole = len(index) == X.shape[0]
        take = (lambda a: a) if whole else (lambda a: a[index])
        # X that stays on the host (sparse, memory-mapped, too big for the GPU):
        # batches read their rows, and a split keeps indices instead of copies
        return Batches(
            HostRows(X, device, None if whole else index)
            if reads_lazily(X, device)
            else to_rows(take(X), device),
            to_rows(take(y), device),
            None if weight is None else to_rows(take(weight), device),
            batch_size=batch_size,
            shuffle=shuffle,
            generator=generator,
        )

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
                stacklevel=4,
            )
        return min(self.batch_size, n_samples)

    def _new_net(self, device, batch_size, mean_weight, incremental, module=None):
        # sklearn divides the L2 penalty by the batch's total sample weight
        # estimators without an L2 penalty have no alpha
        l2 = getattr(self, "alpha", 0.0) / (batch_size * mean_weight)
        optimizer_kwargs = self._optimizer_kwargs(l2)
        autocast_dtype = self._autocast_dtype(device)
        lbfgs = self.solver == "lbfgs"
        return self._make_net(
            module=module if module is not None else self._build_module(),
            criterion=self._make_criterion(),
            optimizer=_SOLVERS[self.solver],
            lr=1.0 if lbfgs else self.learning_rate_init,
            max_epochs=self.max_iter,
            batch_size=batch_size,
            train_split=None,
            callbacks=self._training_callbacks(incremental),
            verbose=int(self.verbose >= 2),
            device=str(device),
            score_fn=self._score_fn,
            autocast_dtype=autocast_dtype,
            compile_options=self._compile_options(),
            l2_in_loss=l2 if lbfgs else 0.0,
            l2_reported=0.0 if lbfgs else l2,
            **{f"optimizer__{key}": value for key, value in optimizer_kwargs.items()},
        )

    def _compile_options(self) -> dict | None:
        if self.compile is False:
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
        if self.solver in ("adam", "adamw"):
            return {
                "betas": (self.beta_1, self.beta_2),
                "eps": self.epsilon,
                "weight_decay": decay,
            }
        if self.solver in ("rmsprop", "adagrad"):
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
        dtype = _PRECISIONS[self.precision]
        if dtype is not None and device.type != "cuda":
            warnings.warn(
                f"precision={self.precision!r} (mixed precision) runs on CUDA "
                f"devices only; training on {device.type} in float32.",
                UserWarning,
                stacklevel=5,
            )
            return None
        return dtype

    def _training_callbacks(self, incremental: bool) -> list:
        callbacks = self._stopping_callbacks(incremental)
        if self.verbose == 1 and not incremental:
            callbacks.append(("progress_bar", EpochProgressBar(self.max_iter)))
        if self.verbose >= 2:
            from skorch.callbacks import PrintLog

            callbacks.append(("print_log", PrintLog()))
        return callbacks + list(self.callbacks or [])

    def _stopping_callbacks(self, incremental: bool) -> list:
        """Callbacks of the stopping rules and learning-rate schedules."""
        callbacks = []
        if self.solver == "lbfgs":
            callbacks.append(("lbfgs_convergence", LBFGSConvergence(self.max_fun)))
        elif not incremental:
            callbacks.append(
                (
                    "convergence",
                    Convergence(
                        "valid_score" if self.early_stopping else "train_loss",
                        tol=self.tol,
                        n_iter_no_change=self.n_iter_no_change,
                        lower_lr_on_plateau=self.learning_rate == "adaptive",
                        restore_best=self.early_stopping,
                    ),
                )
            )
        if self.solver != "lbfgs" and self.learning_rate == "invscaling":
            callbacks.append(
                ("invscaling", InverseScalingLR(self.learning_rate_init, self.power_t))
            )
        return callbacks

    def _set_fitted_attributes(self, net, outcome, incremental):
        self.net_ = net
        net.module_.eval()
        history = net.history
        self.history_ = history
        self.n_iter_ = len(history)
        self.loss_curve_ = list(history[:, "train_loss"])
        self.loss_ = self.loss_curve_[-1]
        self.t_ = history[-1, "samples_seen"]
        scores = [row["valid_score"] for row in history if "valid_score" in row]
        if self.early_stopping and scores:
            self.validation_scores_ = scores
            self.best_validation_score_ = max(scores)
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = min(self.loss_curve_)
        name = type(self).__name__
        if outcome == "interrupted":
            warnings.warn(
                f"{name} training was interrupted after {self.n_iter_} epochs; the "
                "model keeps the weights reached so far (n_iter_ says how far).",
                UserWarning,
                stacklevel=3,
            )
        elif outcome == "max_iter" and not incremental:
            warnings.warn(
                f"{name}: the maximum number of epochs (max_iter={self.max_iter}) "
                "was reached and the optimization hasn't converged yet "
                f"(tol={self.tol}). Increase max_iter if the loss is still falling.",
                ConvergenceWarning,
                stacklevel=3,
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

    def _forward(self, X, batch_outputs=None) -> np.ndarray:
        """Module outputs after ``_output_function``, as a float64 numpy array.

        ``batch_outputs(forward, batch)`` computes the outputs of one batch
        instead, for outputs that need the batch's inputs too (a language
        model's likelihood of the tokens it reads); ``forward`` is the module.
        """
        net = self.net_
        module = net.module_
        if module.training:
            module.eval()
        batches, order = self._inference_batches(X, torch.device(net.device))
        try:
            n_rows = min(X.shape[0], self._inference_batch_size)
            with torch.inference_mode(), net.autocast(), self._threads(net, n_rows):
                forward = net.forward_module()
                if batch_outputs is None:
                    outputs = [self._output_function(forward(b)) for b in batches]
                else:
                    outputs = [batch_outputs(forward, batch) for batch in batches]
        except torch.OutOfMemoryError as exc:
            raise out_of_memory_error(
                exc,
                f"{type(self).__name__} ran out of memory on {net.device} while "
                f"predicting in batches of up to {self._inference_batch_size} rows. "
                "Pass fewer rows per call.",
            ) from exc
        out = outputs[0] if len(outputs) == 1 else torch.cat(outputs)
        if order is not None:
            out = out[torch.argsort(order.to(out.device))]
        out = out.double().cpu().numpy()
        _check_finite_outputs(out, X, type(self).__name__)
        return out

    def _output_function(self, raw: torch.Tensor) -> torch.Tensor:
        return raw

    def summary(self) -> None:
        """Print the layers, their output shapes and parameter counts.

        Like Keras' ``model.summary()``: one row per leaf module in the order they
        run, then the total, trainable and non-trainable parameter counts.
        """
        check_is_fitted(self)
        module = self.net_.module_
        rows = []

        def record(name, layer, output):
            shape = tuple(output.shape) if torch.is_tensor(output) else "?"
            if shape != "?":
                shape = "(None, " + ", ".join(str(s) for s in shape[1:]) + ")"
            params = sum(p.numel() for p in layer.parameters(recurse=False))
            rows.append((f"{name} ({type(layer).__name__})", shape, params))

        _trace_layers(module, self._example_input(), record)
        total = sum(p.numel() for p in module.parameters())
        trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
        width = max([34, *(len(r[0]) + 2 for r in rows)])
        line = "=" * (width + 36)
        lines = [
            f'Model: "{type(self).__name__}"',
            line,
            f"{'Layer (type)':<{width}}{'Output Shape':<24}{'Param #':>12}",
            line,
        ]
        lines += [f"{n:<{width}}{s!s:<24}{p:>12,}" for n, s, p in rows]
        lines += [
            line,
            f"Total params: {total:,}",
            f"Trainable params: {trainable:,}",
            f"Non-trainable params: {total - trainable:,}",
            line,
        ]
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

    def _encode_targets(self, y, *, X, sample_weight, reset, classes):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        target_type = type_of_target(y, input_name="y")
        if reset:
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
            encoded = np.asarray(y, dtype=np.float32)
        else:
            if target_type not in ("binary", "multiclass"):
                raise ValueError(
                    f"Unknown label type: {target_type!r}. {type(self).__name__} "
                    "takes binary, multiclass or multilabel-indicator targets."
                )
            unseen = np.setdiff1d(unique_labels(y), self.classes_)
            if len(unseen):
                raise ValueError(
                    f"y contains labels that were not seen before: {unseen.tolist()}; "
                    f"classes_ is {self.classes_.tolist()}. Pass every label in "
                    "`classes` on the first partial_fit call, or refit."
                )
            encoded = self._label_encoder.transform(y)
            encoded = (
                encoded.astype(np.float32).reshape(-1, 1)
                if self.out_activation_ == "logistic"
                else encoded.astype(np.int64)
            )
        weight = self._sample_weights(y, X, sample_weight, target_type)
        return encoded, weight

    def _set_classes(self, y, target_type, classes):
        name = type(self).__name__
        if target_type == "multilabel-indicator":
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
        if len(labels) < 2:
            raise ValueError(
                f"{name} needs samples of at least 2 classes in y; got 1 class: "
                f"{labels.tolist()}."
            )
        self._label_encoder = LabelEncoder().fit(labels)
        self.classes_ = self._label_encoder.classes_
        binary = len(self.classes_) == 2
        self.n_outputs_ = 1 if binary else len(self.classes_)
        self.out_activation_ = "logistic" if binary else "softmax"

    def _sample_weights(self, y, X, sample_weight, target_type):
        weight = None
        if self.class_weight is not None:
            if target_type == "multilabel-indicator":
                raise ValueError(
                    "class_weight is not supported for multilabel targets; pass "
                    "sample_weight instead."
                )
            weight = compute_sample_weight(self.class_weight, y)
        if sample_weight is not None:
            sample_weight = check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
            weight = sample_weight if weight is None else weight * sample_weight
        return _checked_weights(weight)

    def _make_criterion(self) -> nn.Module:
        if self.out_activation_ == "softmax":
            return nn.CrossEntropyLoss()
        return nn.BCEWithLogitsLoss()

    @property
    def _score_fn(self):
        return (
            _accuracy_softmax
            if self.out_activation_ == "softmax"
            else _accuracy_logistic
        )

    def _output_function(self, raw):
        if self.out_activation_ == "softmax":
            return _softmax(raw.float())
        return torch.sigmoid(raw.float())

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
            targets, where each column is an independent probability.
        """
        check_is_fitted(self)
        X = self._validate_X(X)
        proba = self._forward(X)
        if self.out_activation_ == "logistic" and self.n_outputs_ == 1:
            proba = np.hstack([1.0 - proba, proba])
        return proba

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

    def predict(self, X) -> np.ndarray:
        """Predict class labels (an indicator matrix for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        X = self._validate_X(X)
        proba = self._forward(X)
        if self.out_activation_ == "softmax":
            return self.classes_[proba.argmax(axis=1)]
        if self.n_outputs_ == 1:
            return self.classes_[(proba[:, 0] > 0.5).astype(int)]
        return (proba > 0.5).astype(int)

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

    def _encode_targets(self, y, *, X, sample_weight, reset, classes):
        y = np.asarray(y, dtype=np.float32)
        y = y.reshape(-1, 1) if y.ndim == 1 else y
        if reset:
            self.n_outputs_ = y.shape[1]
            self.out_activation_ = "exp" if self._loss_name == "poisson" else "identity"
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} outputs, but {type(self).__name__} was fitted "
                f"with {self.n_outputs_}."
            )
        if self._loss_name == "poisson" and (y < 0).any():
            raise ValueError(
                "loss='poisson' needs non-negative targets; y has negative values."
            )
        weight = None
        if sample_weight is not None:
            weight = check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        return y, _checked_weights(weight)

    @property
    def _loss_name(self) -> str:
        return getattr(self, "loss", "squared_error")

    def _make_criterion(self) -> nn.Module:
        if self._loss_name == "poisson":
            return HalfPoissonLoss()
        return HalfSquaredError()

    @property
    def _score_fn(self):
        return _r2_exp if self.out_activation_ == "exp" else _r2

    def _output_function(self, raw):
        return torch.exp(raw) if self.out_activation_ == "exp" else raw

    def predict(self, X) -> np.ndarray:
        """Predict the target(s).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        check_is_fitted(self)
        X = self._validate_X(X)
        y = self._forward(X)
        return y.ravel() if self.n_outputs_ == 1 else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _trace_layers(module: nn.Module, example: torch.Tensor, record) -> None:
    """Run ``example`` through ``module``, calling ``record(name, layer, output)``
    for each leaf layer as it runs (a recurrent layer's output is its sequence).

    Runs in inference mode with the module in eval mode, then restores its mode.
    """

    def hook(name):
        def call(layer, inputs, output):
            record(name, layer, output[0] if isinstance(output, tuple) else output)

        return call

    handles = [
        layer.register_forward_hook(hook(name))
        for name, layer in module.named_modules()
        if not list(layer.children())
    ]
    training = module.training
    try:
        module.eval()
        device = next(module.parameters(), example).device
        with torch.inference_mode():
            module(example.to(device))
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


def _check_finite_outputs(out: np.ndarray, X, name: str) -> None:
    """Refuse to turn NaN or infinite network outputs into predictions.

    Finite inputs far outside the training range (1e30 fits in float32) can
    overflow the float32 arithmetic of the network; argmax or thresholds would
    then return an arbitrary label without a word.
    """
    finite = np.isfinite(out).reshape(len(out), -1).all(axis=1)
    if finite.all():
        return
    bad = np.flatnonzero(~finite)
    largest = ""
    if isinstance(X, np.ndarray) and np.issubdtype(X.dtype, np.number):
        largest = f" (the largest absolute value in X is {np.abs(X).max():.3g})"
    raise ValueError(
        f"{name} computed NaN or infinite outputs for {len(bad)} of {len(out)} "
        f"samples (the first is row {bad[0]}): their values overflow the float32 "
        f"arithmetic of the model{largest}. Scale X as the training data were "
        "scaled, and check it for values far outside the training range."
    )


def _softmax(raw: torch.Tensor) -> torch.Tensor:
    """Softmax over the rows' columns, written out.

    torch's CPU softmax kernel is slow for a few columns: on 8192 x 10 logits
    it took 640 us against 110 us for these four element-wise steps.
    """
    out = (raw - raw.amax(dim=1, keepdim=True)).exp()
    return out.div_(out.sum(dim=1, keepdim=True))


def _checked_weights(weight):
    if weight is None:
        return None
    weight = np.asarray(weight, dtype=np.float32)
    if not weight.sum() > 0:
        raise ValueError(
            "sample_weight (times class_weight) sums to zero or less; at least "
            "one sample needs a positive weight."
        )
    return weight


# validation scores computed on the device from the outputs of a validation pass;
# module-level functions so that fitted nets pickle
def _weighted_mean(values, weight):
    values = values.float()
    if weight is None:
        return values.mean().item()
    return ((values * weight).sum() / weight.sum()).item()


def _accuracy_softmax(outputs, y, weight):
    return _weighted_mean(outputs.argmax(dim=1) == y, weight)


def _accuracy_logistic(outputs, y, weight):
    return _weighted_mean(((outputs > 0) == (y > 0.5)).all(dim=1), weight)


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
