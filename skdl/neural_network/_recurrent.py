"""Recurrent networks (LSTM, GRU, Elman RNN) on numeric sequences.

One family with a ``cell`` parameter rather than a class per cell: the cell is a
hyperparameter like any other, so ``GridSearchCV`` can compare LSTM, GRU and
plain RNN cells, and the text model :class:`LSTMTextClassifier` shares every
architecture parameter with these classes.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import is_classifier
from sklearn.utils.validation import check_array, check_consistent_length

from .._blocks import lazy_on_dask
from ..base import (
    CLASSIFIER_LOSSES,
    NETWORK_OPTION_CONSTRAINTS,
    REGRESSOR_LOSSES,
    BaseTorchEstimator,
    TorchClassifierMixin,
    TorchRegressorMixin,
    loss_options,
)
from ..modules import CELLS, POOLINGS, RecurrentModule
from ..utils._docstrings import fill_doc
from ..utils._sklearn import Interval, StrOptions, _fit_context, check_y
from ..utils._validation import as_array, explain_float32_overflow, validate_data

__all__ = ["LSTMClassifier", "LSTMRegressor"]


class _BaseRecurrent(BaseTorchEstimator):
    """Architecture parameters shared by every recurrent estimator."""

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        **NETWORK_OPTION_CONSTRAINTS,
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "cell": [StrOptions(set(CELLS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "pooling": [StrOptions(set(POOLINGS))],
        "dense_layers": [tuple, list],
        "conv_filters": [tuple, list],
        "kernel_size": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "pool_size": [Interval(Integral, 1, None, closed="left"), tuple, list, None],
    }

    # a batch is (rows, steps, hidden) wide: keep inference batches moderate
    _inference_batch_size = 1024

    def _module_kwargs(self) -> dict:
        dense = list(self.dense_layers)
        if not all(isinstance(w, Integral) and w >= 1 for w in dense):
            raise ValueError(
                f"dense_layers must hold positive ints; got {self.dense_layers!r}."
            )
        return {
            "num_layers": self.num_layers,
            "cell": self.cell,
            "bidirectional": self.bidirectional,
            "dropout": self.dropout,
            "pooling": self.pooling,
            "dense_layers": [int(w) for w in dense],
            "conv_filters": _conv_filters(self.conv_filters),
            "kernel_size": _ints(self.kernel_size),
            "pool_size": _ints(self.pool_size),
        }


def _conv_filters(filters) -> list[int]:
    if not all(
        isinstance(w, Integral) and not isinstance(w, bool) and w >= 1 for w in filters
    ):
        raise ValueError(f"conv_filters must hold positive ints; got {filters!r}.")
    return [int(w) for w in filters]


def _ints(value):
    """Plain ints (numpy ints too) for the module, as given otherwise."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, tuple | list):
        return [
            int(v) if isinstance(v, Integral) and not isinstance(v, bool) else v
            for v in value
        ]
    return value


class _BaseSequenceModel(_BaseRecurrent):
    """Numeric sequences ``(n_samples, n_timesteps, n_features)`` in."""

    def _validate_X_y(self, X, y, *, reset):
        return self._check_sequences(X, y, reset=reset, dtype=self._float_dtype)

    def _validate_X(self, X):
        return self._check_sequences(X, reset=False, dtype=self._fitted_float_dtype())

    def _check_sequences(self, X, y="no_validation", *, reset, dtype):
        name = type(self).__name__
        with_y = not (isinstance(y, str) and y == "no_validation")
        if isinstance(X, np.ndarray) or not hasattr(X, "ndim"):  # arrays, lists
            X = as_array(
                X,
                owner=name,
                sample="sequence",
                advice="Bring them to one length first: pad the short ones (e.g. "
                "with numpy.pad) or cut the long ones.",
            )
        ndim = X.ndim
        if ndim > 3:
            raise ValueError(
                f"{name} takes arrays of shape (n_samples, n_timesteps, n_features), "
                "or (n_samples, n_timesteps) for univariate series; got an array "
                f"of shape {X.shape}."
            )
        if not reset and ndim in (2, 3) and ndim != len(self.input_shape_) + 1:
            raise ValueError(
                f"{name} was fitted on samples of shape {self.input_shape_}; got X "
                f"of shape {X.shape}. Pass (n_samples, "
                f"{', '.join(map(str, self.input_shape_))}) arrays."
            )
        y_numeric = not is_classifier(self)
        if ndim < 3:  # columns are time steps: scikit-learn's checks apply
            checked = validate_data(
                self,
                X,
                y,
                reset=reset,
                dtype=dtype,
                **({"multi_output": True, "y_numeric": y_numeric} if with_y else {}),
            )
            X, y = checked if with_y else (checked, y)
        else:
            with explain_float32_overflow(self, X):
                X = check_array(X, allow_nd=True, dtype=dtype, input_name="X")
            if with_y:
                y = check_y(y, multi_output=True, y_numeric=y_numeric, estimator=self)
                check_consistent_length(X, y)
            if reset:
                self.n_features_in_ = X.shape[2]
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
        if 0 in X.shape[1:]:
            raise ValueError(
                f"{name} needs sequences of at least 1 time step with at least 1 "
                f"feature each; got X of shape {X.shape} (n_samples, n_timesteps"
                f"{', n_features' if X.ndim == 3 else ''})."
            )
        if reset:
            self.input_shape_ = X.shape[1:]
        elif X.shape[1:] != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {X.shape[1:]}, but {name} was fitted on "
                f"samples of shape {self.input_shape_}."
            )
        X = np.ascontiguousarray(X.reshape(len(X), X.shape[1], -1))
        return (X, y) if with_y else X

    def _build_module(self) -> RecurrentModule:
        n_steps_features = 1 if len(self.input_shape_) == 1 else self.input_shape_[1]
        return RecurrentModule(
            n_steps_features,
            self.hidden_size,
            self.n_outputs_,
            **self._module_kwargs(),
        )

    def _example_input(self) -> torch.Tensor:
        n_steps = self.input_shape_[0]
        n_features = 1 if len(self.input_shape_) == 1 else self.input_shape_[1]
        return torch.zeros((1, n_steps, n_features))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, validation_data=None):
        """Train the network on ``X``, ``y`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features])
            Training sequences, one sample per row; a 2-D array holds one
            univariate series per row.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values (class labels for classification).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.
        validation_data : tuple, default=None
            ``(X_val, y_val)`` or ``(X_val, y_val, sample_weight_val)``: a
            validation set, as in Keras. Its loss and score are recorded each
            epoch in ``history_`` (``valid_loss``, ``valid_score``), and
            ``early_stopping`` stops on it instead of setting aside
            ``validation_fraction`` of ``X``. ``class_weight`` does not apply
            to it.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, validation_data=validation_data)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.three_d_array = True
        return tags


@fill_doc
class LSTMClassifier(TorchClassifierMixin, _BaseSequenceModel):
    """Recurrent neural network classifier (LSTM, GRU or RNN) for sequences.

    Takes arrays shaped ``(n_samples, n_timesteps, n_features)``, Keras'
    ``(batch, timesteps, input_dim)``: time series, sensor windows, any ordered
    measurements. A 2-D array ``(n_samples, n_timesteps)`` is read as one
    univariate series per row. A stack of recurrent layers reads each sequence,
    the output sequence is pooled into one vector and a dense head gives the
    class scores. Binary, multiclass and multilabel targets, string labels,
    ``predict_proba`` and every training parameter of :class:`MLPClassifier`.

    Parameters
    ----------
    hidden_size : int, default=64
        Hidden units of each recurrent layer, per direction.

    ${recurrent_parameters}

    ${network_training_parameters}

    ${early_stopping_monitor_parameter}

    ${optimizer_options_parameters}

    ${classifier_loss_parameter}

    ${one_hot_parameter}

    ${class_weight_parameter}

    ${device_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, as given in ``y`` (indices 0..n_labels-1 for multilabel).

    n_outputs_ : int
        Number of output units (1 for binary targets).

    out_activation_ : str
        Output function: 'softmax' (multiclass) or 'logistic' (binary and
        multilabel).

    ${sequence_attributes}

    ${history_attributes}

    See Also
    --------
    LSTMRegressor : The regressor with the same network.
    LSTMTextClassifier : The same network on raw text.

    Examples
    --------
    >>> import numpy as np
    >>> from skdl import LSTMClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 12, 1)).astype("float32")
    >>> y = (X[:, :6, 0].sum(axis=1) > X[:, 6:, 0].sum(axis=1)).astype(int)
    >>> model = LSTMClassifier(16, max_iter=60, learning_rate_init=0.01,
    ...                        random_state=0).fit(X, y)
    >>> model.score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **_BaseSequenceModel._parameter_constraints,
        **TorchClassifierMixin._parameter_constraints,
        "loss": [loss_options(CLASSIFIER_LOSSES), callable],
        "one_hot": ["boolean"],
    }

    def __init__(
        self,
        hidden_size=64,
        *,
        num_layers=1,
        bidirectional=False,
        cell="lstm",
        dropout=0.0,
        pooling="last",
        dense_layers=(),
        conv_filters=(),
        kernel_size=3,
        pool_size=None,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        decay_rate=0.5,
        decay_steps=10,
        plateau_patience=5,
        min_learning_rate=0.0,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=0,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        early_stopping_monitor="score",
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        amsgrad=False,
        rho=None,
        n_iter_no_change=10,
        max_fun=15000,
        loss="log_loss",
        one_hot=False,
        class_weight=None,
        device="cpu",
        precision="float32",
        n_threads=None,
        compile=False,
        callbacks=None,
    ):
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.cell = cell
        self.dropout = dropout
        self.pooling = pooling
        self.dense_layers = dense_layers
        self.conv_filters = conv_filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.decay_rate = decay_rate
        self.decay_steps = decay_steps
        self.plateau_patience = plateau_patience
        self.min_learning_rate = min_learning_rate
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.early_stopping_monitor = early_stopping_monitor
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
        self.rho = rho
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.loss = loss
        self.one_hot = one_hot
        self.class_weight = class_weight
        self.device = device
        self.precision = precision
        self.n_threads = n_threads
        self.compile = compile
        self.callbacks = callbacks

    @lazy_on_dask
    def predict(self, X) -> np.ndarray:
        """Predict class labels (an indicator matrix for multilabel targets).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features])
            Sequences shaped like the training samples (see ``input_shape_``).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_``.
        """
        return super().predict(X)

    @lazy_on_dask
    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class (each label, for multilabel targets).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features])
            Sequences shaped like the training samples (see ``input_shape_``).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return super().predict_proba(X)

    @lazy_on_dask
    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features])
            Sequences shaped like the training samples (see ``input_shape_``).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return super().predict_log_proba(X)


@fill_doc
class LSTMRegressor(TorchRegressorMixin, _BaseSequenceModel):
    """Recurrent neural network regressor (LSTM, GRU or RNN) for sequences.

    Takes arrays shaped ``(n_samples, n_timesteps, n_features)``, Keras'
    ``(batch, timesteps, input_dim)``, or ``(n_samples, n_timesteps)`` for one
    univariate series per row (a sliding window of past values, for instance),
    and predicts one or several real targets per sequence. The network is that
    of :class:`LSTMClassifier`, trained on half the squared error.

    Parameters
    ----------
    hidden_size : int, default=64
        Hidden units of each recurrent layer, per direction.

    ${recurrent_parameters}

    ${network_training_parameters}

    ${early_stopping_monitor_parameter}

    ${optimizer_options_parameters}

    ${regressor_loss_parameter}

    ${device_parameters}

    Attributes
    ----------
    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Output function: 'identity', or 'exp' for ``loss='poisson'``.

    ${sequence_attributes}

    ${history_attributes}

    See Also
    --------
    LSTMClassifier : The classifier with the same network.

    Examples
    --------
    >>> import numpy as np
    >>> from skdl import LSTMRegressor
    >>> series = np.sin(np.arange(400) / 8.0)
    >>> windows = np.lib.stride_tricks.sliding_window_view(series, 21)
    >>> X, y = windows[:, :-1], windows[:, -1]  # 20 past values -> the next
    >>> model = LSTMRegressor(16, max_iter=80, learning_rate_init=0.01,
    ...                       random_state=0).fit(X, y)
    >>> model.score(X, y) > 0.95
    True
    """

    _parameter_constraints: dict = {
        **_BaseSequenceModel._parameter_constraints,
        "loss": [loss_options(REGRESSOR_LOSSES), callable],
    }

    def __init__(
        self,
        hidden_size=64,
        *,
        num_layers=1,
        bidirectional=False,
        cell="lstm",
        dropout=0.0,
        pooling="last",
        dense_layers=(),
        conv_filters=(),
        kernel_size=3,
        pool_size=None,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        decay_rate=0.5,
        decay_steps=10,
        plateau_patience=5,
        min_learning_rate=0.0,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=0,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        early_stopping_monitor="score",
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        amsgrad=False,
        rho=None,
        n_iter_no_change=10,
        max_fun=15000,
        loss="squared_error",
        device="cpu",
        precision="float32",
        n_threads=None,
        compile=False,
        callbacks=None,
    ):
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.cell = cell
        self.dropout = dropout
        self.pooling = pooling
        self.dense_layers = dense_layers
        self.conv_filters = conv_filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.decay_rate = decay_rate
        self.decay_steps = decay_steps
        self.plateau_patience = plateau_patience
        self.min_learning_rate = min_learning_rate
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.early_stopping_monitor = early_stopping_monitor
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
        self.rho = rho
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.loss = loss
        self.device = device
        self.precision = precision
        self.n_threads = n_threads
        self.compile = compile
        self.callbacks = callbacks

    @lazy_on_dask
    def predict(self, X) -> np.ndarray:
        """Predict the target(s).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features])
            Sequences shaped like the training samples (see ``input_shape_``).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        return super().predict(X)
