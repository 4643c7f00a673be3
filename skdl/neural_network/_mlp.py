"""Multi-layer perceptrons: drop-in replacements for scikit-learn's, on PyTorch."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._net import host_rows
from ..autoencoder._autoencoder import AutoencoderTransformer
from ..base import (
    CLASSIFIER_LOSSES,
    NETWORK_OPTION_CONSTRAINTS,
    REGRESSOR_LOSSES,
    BaseTorchEstimator,
    TorchClassifierMixin,
    TorchRegressorMixin,
    loss_options,
)
from ..modules import INITIALIZERS, MLPModule, canonical_activation
from ..utils._docstrings import fill_doc
from ..utils._layers import ActivationOptions
from ..utils._sklearn import Interval, StrOptions, _fit_context
from ..utils._validation import check_layer_sizes
from ._rbm import DBNTransformer, RBMTransformer

# unsupervised models whose layers can start an MLP's hidden layers: each gives
# _layer_sizes(), _encoder_activations() and _encoder_layers() (weight, bias)
_PRETRAINERS = (RBMTransformer, DBNTransformer, AutoencoderTransformer)

__all__ = ["MLPClassifier", "MLPRegressor"]


class _BaseMLP(BaseTorchEstimator):
    """Architecture parameters and fitted weights shared by both MLPs."""

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        **NETWORK_OPTION_CONSTRAINTS,
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [ActivationOptions(), list, tuple],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "batch_norm": ["boolean"],
        "use_bias": ["boolean"],
        "kernel_initializer": [StrOptions(set(INITIALIZERS)), None],
        "pretrain": [
            None,
            RBMTransformer,
            DBNTransformer,
            AutoencoderTransformer,
            FrozenEstimator,
        ],
    }

    def _hidden_sizes(self) -> list[int]:
        return check_layer_sizes(self.hidden_layer_sizes, allow_empty=True)

    def _build_module(self) -> MLPModule:
        sizes = self._hidden_sizes()
        self.n_layers_ = len(sizes) + 2
        return MLPModule(
            self.n_features_in_,
            sizes,
            self.n_outputs_,
            activation=self.activation,
            dropout=self.dropout,
            batch_norm=self.batch_norm,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
        )

    def _initialize_module(self, module: MLPModule, train) -> None:
        """Start from the weights set by hand, or the hidden layers from an
        unsupervised model of the training rows.

        ``coefs_`` and ``intercepts_`` assigned before the first fit are the
        starting weights, as in scikit-learn. ``pretrain`` (RBMs, or an
        autoencoder's encoder) gives one weight matrix and bias per hidden layer.
        A ``FrozenEstimator`` holds a model trained beforehand (on unlabelled
        rows, say): it is used as it is.
        """
        by_hand = self.__dict__.pop("_initial_layers", None)
        if by_hand is not None:
            self._start_from(by_hand, module.linear_layers())
            return
        if self.pretrain is None:
            return
        frozen = isinstance(self.pretrain, FrozenEstimator)
        pretrain = self.pretrain.estimator if frozen else clone(self.pretrain)
        if not isinstance(pretrain, _PRETRAINERS):
            raise TypeError(
                "pretrain must be an RBMTransformer, a DBNTransformer or an "
                "AutoencoderTransformer, or one of them fitted and wrapped in a "
                f"FrozenEstimator; got {pretrain!r} in a FrozenEstimator."
            )
        pretrain_sizes = pretrain._layer_sizes()
        if pretrain_sizes != self._hidden_sizes():
            raise ValueError(
                f"pretrain learns hidden layers of sizes {tuple(pretrain_sizes)} but "
                f"hidden_layer_sizes is {tuple(self._hidden_sizes())}; give both "
                "the same sizes."
            )
        if not self.use_bias and getattr(pretrain, "use_bias", True):
            raise ValueError(
                "pretrain gives each hidden layer a bias, but use_bias=False "
                "builds them without one; set use_bias=True to pretrain, or "
                "pretrain with AutoencoderTransformer(use_bias=False)."
            )
        activations = pretrain._encoder_activations()
        if not isinstance(self.activation, str):
            mine = [canonical_activation(name) for name in self.activation]
            if mine != activations:
                raise ValueError(
                    f"pretrain's hidden units are {tuple(activations)}, but "
                    f"activation={self.activation!r}; give the hidden layers the "
                    f"activations of pretrain's layers: activation={activations!r}."
                )
        elif len(set(activations)) > 1:
            raise ValueError(
                f"pretrain's layers use the activations {tuple(activations)}, but "
                "the hidden layers of this network share one; give every layer of "
                "pretrain the same (for an autoencoder, code_activation equal to "
                f"activation), or give these layers pretrain's: activation="
                f"{activations!r}."
            )
        elif activations[0] != canonical_activation(self.activation):
            raise ValueError(
                f"pretrain's hidden units are {activations[0]!r}; set activation="
                f"{activations[0]!r} (got {self.activation!r})."
            )
        if frozen:
            check_is_fitted(pretrain)
            if pretrain.n_features_in_ != self.n_features_in_:
                raise ValueError(
                    f"The frozen pretrain was fitted on {pretrain.n_features_in_} "
                    f"features, but X has {self.n_features_in_}."
                )
        else:
            if pretrain.random_state is None:
                # from the seeded stream: random_state reproduces the whole fit
                pretrain.random_state = int(torch.randint(2**31 - 1, ()))
            pretrain.set_params(device=module.linear_layers()[0].weight.device)
            pretrain.fit(host_rows(train.arrays[0]))
        with torch.no_grad():
            for layer, (weight, bias) in zip(
                module.linear_layers(), pretrain._encoder_layers(), strict=False
            ):
                layer.weight.copy_(weight)
                if layer.bias is not None:  # zero for an encoder without biases
                    layer.bias.copy_(bias if bias is not None else 0.0)
        self.pretrain_ = pretrain

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices of the linear layers, each ``(n_in, n_out)``.

        Read-only copies of the module's weights. Assigning a list of arrays of
        the same shapes (or one array to ``coefs_[i]``) sets the weights; before
        the first fit, with ``intercepts_``, the weights that fit starts from.
        """
        return self._layers_attribute("coefs_")

    @coefs_.setter
    def coefs_(self, arrays) -> None:
        self._assign_layers("coefs_", arrays)

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors of the linear layers (read-only copies; assignable)."""
        return self._layers_attribute("intercepts_")

    @intercepts_.setter
    def intercepts_(self, arrays) -> None:
        self._assign_layers("intercepts_", arrays)

    def _layers_attribute(self, name: str) -> list:
        if not hasattr(self, "net_") and name in self.__dict__.get(
            "_initial_layers", {}
        ):
            # assigned before the first fit: the list itself, as scikit-learn
            # keeps it (``model.coefs_[0] = W`` edits it)
            return self._initial_layers[name]
        return _LayerArrays(self, name)

    def _assign_layers(self, name: str, arrays) -> None:
        if hasattr(self, "net_"):
            self._set_layer_arrays(name, arrays)
            return
        # before the first fit the layers do not exist yet: kept, and checked
        # when the first fit builds them (or partial_fit's first call)
        self.__dict__.setdefault("_initial_layers", {})[name] = (
            arrays if isinstance(arrays, list) else list(arrays)
        )

    def _start_from(self, by_hand: dict, layers) -> None:
        """Copy the weights assigned before the first fit into ``layers``."""
        missing = {"coefs_", "intercepts_"} - set(by_hand)
        if missing:
            given, lacking = next(iter(by_hand)), missing.pop()
            raise ValueError(
                f"{given} was assigned before fitting, but {lacking} was not: "
                f"assign both to start from weights of your own, or neither."
            )
        if self.pretrain is not None:
            raise ValueError(
                "coefs_ and intercepts_ were assigned before fitting, and pretrain "
                "is set: both give the starting weights. Set pretrain=None, or "
                "fit a new estimator without assigning them."
            )
        for name in ("coefs_", "intercepts_"):
            self._set_layer_arrays(name, by_hand[name], layers)

    def _layer_arrays(self, name: str) -> list[np.ndarray]:
        """The weights (``coefs_``) or biases (``intercepts_``) of each layer."""
        arrays = [
            (
                layer.weight.T
                if name == "coefs_"
                else layer.weight.new_zeros(layer.out_features)
                if layer.bias is None
                else layer.bias
            )
            .detach()
            .cpu()
            for layer in self._linear_layers()
        ]
        arrays = [tensor.numpy().copy() for tensor in arrays]
        for array in arrays:
            array.flags.writeable = False
        return arrays

    def _set_layer_arrays(self, name: str, arrays, layers=None) -> None:
        """Copy ``arrays`` into the layers' weights or biases, shapes checked."""
        layers = self._linear_layers() if layers is None else layers
        arrays = list(arrays)
        if len(arrays) != len(layers):
            raise ValueError(
                f"{name} takes one array per layer: {len(layers)} arrays, got "
                f"{len(arrays)}."
            )
        targets = [
            layer.weight
            if name == "coefs_"
            else layer.weight.new_zeros(layer.out_features)
            if layer.bias is None
            else layer.bias
            for layer in layers
        ]
        values = []
        for index, (array, target) in enumerate(zip(arrays, targets, strict=True)):
            array = np.asarray(array, dtype=np.float64)
            if name == "intercepts_" and layers[index].bias is None and array.any():
                raise ValueError(
                    f"intercepts_[{index}] belongs to a layer without a bias "
                    "(use_bias=False): it can only be zeros. Refit with "
                    "use_bias=True to learn biases."
                )
            if name == "coefs_":
                array = array.T
            expected = tuple(target.shape[::-1] if name == "coefs_" else target.shape)
            if array.shape != tuple(target.shape):
                got = array.shape[::-1] if name == "coefs_" else array.shape
                raise ValueError(
                    f"{name}[{index}] must have shape {expected}, the shape of "
                    f"that layer; got {got}. Layer sizes are set at fit: refit "
                    "with other hidden_layer_sizes to change them."
                )
            values.append(torch.from_numpy(array).to(target))
        with torch.no_grad():
            for target, value in zip(targets, values, strict=True):
                target.copy_(value)

    def _linear_layers(self):
        if not hasattr(self, "net_"):
            raise AttributeError(
                f"This {type(self).__name__} instance is not fitted yet; it has no "
                "weights. Fit it first, or assign both coefs_ and intercepts_ for "
                "the weights that its first fit starts from."
            )
        return self.net_.module_.linear_layers()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, validation_data=None):
        """Train the network on ``X``, ``y`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; sparse matrices are densified one batch at a time.
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


class _LayerArrays(list):
    """``coefs_`` or ``intercepts_``: a list whose item assignment sets a layer.

    ``model.coefs_[0] = W`` writes ``W`` into the first layer, as it does with
    scikit-learn's list of arrays; the arrays themselves are read-only copies,
    so that an in-place edit fails loudly instead of changing nothing.
    """

    def __init__(self, owner: _BaseMLP, name: str):
        super().__init__(owner._layer_arrays(name))
        self._owner = owner
        self._name = name

    def __setitem__(self, index, value):
        arrays = list(self)
        arrays[index] = value
        setattr(self._owner, self._name, arrays)
        super().__setitem__(slice(None), self._owner._layer_arrays(self._name))


@fill_doc
class MLPClassifier(TorchClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier trained with PyTorch.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:
    the same parameters, defaults and fitted attributes, plus a GPU ``device``,
    dropout, batch normalisation, more activations and optimizers, class weights
    and mixed precision. The network is built from ``hidden_layer_sizes`` and the
    data, initialised as scikit-learn does (Glorot uniform) and trained with
    skorch; predictions run batched under ``torch.inference_mode``.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int or int, default=(100,)
        Width of each hidden layer.

    activation : str or list of str, default='relu'
        Hidden activation: 'identity', 'logistic', 'tanh', 'relu' (as in
        scikit-learn), or 'elu', 'leaky_relu', 'prelu', 'selu', 'gelu', 'silu',
        'mish'. Keras' names 'sigmoid', 'linear' and 'swish' are accepted for
        'logistic', 'identity' and 'silu'. A list gives one per hidden layer.

    ${network_training_parameters}

    ${early_stopping_monitor_parameter}

    ${optimizer_options_parameters}

    dropout : float or array-like of float, default=0.0
        Dropout probability after each hidden activation (training only), or a
        list with one probability per hidden layer.

    batch_norm : bool, default=False
        Batch normalisation between each hidden linear layer and its activation.

    use_bias : bool, default=True
        Whether the hidden layers have a bias; the output layer always has one.
        ``intercepts_`` holds zeros for the layers without.

    ${kernel_initializer_parameter}

    ${pretrain_parameter}

    ${classifier_loss_parameter}

    ${one_hot_parameter}

    ${class_weight_parameter}

    ${device_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, as given in ``y`` (indices 0..n_labels-1 for multilabel).

    coefs_ : list of ndarray
        Weight matrix of each layer, ``coefs_[i]`` of shape ``(n_in, n_out)``:
        read-only copies of the module's weights. Assigning arrays of the same
        shapes, to ``coefs_`` or to ``coefs_[i]``, sets the weights, as in
        scikit-learn; assigned with ``intercepts_`` before the first fit, they
        are the weights that ``fit`` or ``partial_fit`` starts from.

    intercepts_ : list of ndarray
        Bias vector of each layer (read-only copies; assignable like
        ``coefs_``).

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of output units (1 for binary targets).

    out_activation_ : str
        Output function: 'softmax' (multiclass) or 'logistic' (binary and
        multilabel).

    ${pretrain_attribute}

    ${history_attributes}

    ${input_attributes}

    See Also
    --------
    MLPRegressor : The regressor with the same network.
    sklearn.neural_network.MLPClassifier : The CPU-only original.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdl import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(
    ...     StandardScaler(),
    ...     MLPClassifier((32,), learning_rate_init=0.01, max_iter=150, random_state=0),
    ... ).fit(X, y)
    >>> model.score(X, y) > 0.95
    True
    """

    _parameter_constraints: dict = {
        **_BaseMLP._parameter_constraints,
        **TorchClassifierMixin._parameter_constraints,
        "loss": [loss_options(CLASSIFIER_LOSSES), callable],
        "one_hot": ["boolean"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
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
        dropout=0.0,
        batch_norm=False,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        pretrain=None,
        loss="log_loss",
        one_hot=False,
        class_weight=None,
        device="cpu",
        precision="auto",
        n_threads=None,
        compile=False,
        callbacks=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
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
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.pretrain = pretrain
        self.loss = loss
        self.one_hot = one_hot
        self.class_weight = class_weight
        self.device = device
        self.precision = precision
        self.n_threads = n_threads
        self.compile = compile
        self.callbacks = callbacks

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for exactly one epoch over ``X``, ``y``, keeping the optimizer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            Every label that any call will see; required on the first call
            (except for multilabel indicator targets).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if not hasattr(self, "classes_") and classes is None:
            y_array = np.asarray(y)
            if not (y_array.ndim == 2 and y_array.shape[1] > 1):
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: "
                    "every label that later calls may see."
                )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)


@fill_doc
class MLPRegressor(TorchRegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor trained with PyTorch.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor` with the
    same parameters, defaults and fitted attributes, plus a GPU ``device``,
    dropout, batch normalisation, more activations and optimizers and mixed
    precision. Several outputs are fitted at once when ``y`` is 2-D.

    Parameters
    ----------
    ${regressor_loss_parameter}

    hidden_layer_sizes : array-like of int or int, default=(100,)
        Width of each hidden layer.

    activation : str or list of str, default='relu'
        Hidden activation: 'identity', 'logistic', 'tanh', 'relu' (as in
        scikit-learn), or 'elu', 'leaky_relu', 'prelu', 'selu', 'gelu', 'silu',
        'mish'. Keras' names 'sigmoid', 'linear' and 'swish' are accepted for
        'logistic', 'identity' and 'silu'. A list gives one per hidden layer.

    ${network_training_parameters}

    ${early_stopping_monitor_parameter}

    ${optimizer_options_parameters}

    dropout : float or array-like of float, default=0.0
        Dropout probability after each hidden activation (training only), or a
        list with one probability per hidden layer.

    batch_norm : bool, default=False
        Batch normalisation between each hidden linear layer and its activation.

    use_bias : bool, default=True
        Whether the hidden layers have a bias; the output layer always has one.
        ``intercepts_`` holds zeros for the layers without.

    ${kernel_initializer_parameter}

    ${pretrain_parameter}

    ${device_parameters}

    Attributes
    ----------
    coefs_ : list of ndarray
        Weight matrix of each layer, ``coefs_[i]`` of shape ``(n_in, n_out)``:
        read-only copies of the module's weights. Assigning arrays of the same
        shapes, to ``coefs_`` or to ``coefs_[i]``, sets the weights, as in
        scikit-learn; assigned with ``intercepts_`` before the first fit, they
        are the weights that ``fit`` or ``partial_fit`` starts from.

    intercepts_ : list of ndarray
        Bias vector of each layer (read-only copies; assignable like
        ``coefs_``).

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Output function: 'identity', or 'exp' for ``loss='poisson'``.

    ${pretrain_attribute}

    ${history_attributes}

    ${input_attributes}

    See Also
    --------
    MLPClassifier : The classifier with the same network.
    sklearn.neural_network.MLPRegressor : The CPU-only original.

    Examples
    --------
    >>> import numpy as np
    >>> from skdl import MLPRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(200, 2))
    >>> y = X[:, 0] ** 2 + X[:, 1]
    >>> model = MLPRegressor(
    ...     hidden_layer_sizes=(32,), solver="lbfgs", max_iter=300, random_state=0
    ... )
    >>> model.fit(X, y).score(X, y) > 0.95
    True
    """

    _parameter_constraints: dict = {
        **_BaseMLP._parameter_constraints,
        "loss": [loss_options(REGRESSOR_LOSSES), callable],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
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
        dropout=0.0,
        batch_norm=False,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        pretrain=None,
        device="cpu",
        precision="auto",
        n_threads=None,
        compile=False,
        callbacks=None,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
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
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.pretrain = pretrain
        self.device = device
        self.precision = precision
        self.n_threads = n_threads
        self.compile = compile
        self.callbacks = callbacks

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for exactly one epoch over ``X``, ``y``, keeping the optimizer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)
