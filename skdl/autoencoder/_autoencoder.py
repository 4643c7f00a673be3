"""Stacked autoencoders (denoising, sparse, tied) as scikit-learn transformers."""

from __future__ import annotations

import functools
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted

from .._blocks import lazy_on_dask
from .._net import host_rows
from ..base import (
    NETWORK_OPTION_CONSTRAINTS,
    BaseTorchEstimator,
    TorchTransformerMixin,
)
from ..modules import (
    INITIALIZERS,
    AutoencoderModule,
    ReconstructionLoss,
    canonical_activation,
    corrupt,
)
from ..modules._layers import per_layer_activations
from ..utils import seed_from_random_state
from ..utils._docstrings import fill_doc
from ..utils._layers import ActivationOptions
from ..utils._sklearn import Interval, StrOptions, _fit_context
from ..utils._torch import on_cpu_by_default
from ..utils._validation import check_layer_sizes

__all__ = ["AutoencoderTransformer"]


@fill_doc
class AutoencoderTransformer(TorchTransformerMixin, BaseTorchEstimator):
    """Stacked autoencoder: a learned, nonlinear compression of the features.

    An encoder of fully connected layers maps each row to a short *code*; a
    decoder that mirrors it maps the code back to the features, and both are
    trained to reconstruct the input. :meth:`transform` returns the code,
    :meth:`inverse_transform` decodes codes, and :meth:`score` is the negative
    reconstruction error, so it fits where :class:`~sklearn.decomposition.PCA`
    does: in a pipeline before a classifier, in a grid search over the code
    size. Variants from the literature are parameters: denoising (``noise``),
    sparse (``sparsity``), tied weights, and greedy layer-wise pretraining
    (``pretraining='greedy'``). A fitted autoencoder can start the hidden
    layers of an :class:`~skdl.MLPClassifier` (its ``pretrain`` parameter).

    Read more in the :ref:`User Guide <autoencoder>`, and see the gallery
    example :ref:`sphx_glr_auto_examples_autoencoder_plot_autoencoder_digits.py`.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int or int, default=(128, 32)
        Widths of the encoder's layers; the last is the code. The decoder runs
        the same widths back to the features.

    activation : str or list of str, default='relu'
        Activation of the hidden layers of the encoder and the decoder:
        'identity', 'logistic', 'tanh', 'relu', 'elu', 'leaky_relu', 'prelu',
        'selu', 'gelu', 'silu' or 'mish'; Keras' 'sigmoid', 'linear' and
        'swish' are accepted for 'logistic', 'identity' and 'silu'. A list
        gives one per encoder layer below the code (``len(hidden_layer_sizes)
        - 1`` names, bottom up); each decoder layer takes the activation of
        the encoder layer of its width, so the decoder mirrors the encoder.

    code_activation : str, default='identity'
        Activation of the code layer. A linear code uses its whole range: on
        the digits its reconstruction error is 27% and 58% lower than a ReLU
        code's with 8 and 32 units (level with 2). 'logistic' gives codes in
        (0, 1), which ``sparsity`` needs.

    loss : {'squared_error', 'cross_entropy'}, default='squared_error'
        Reconstruction error: the mean squared error of linear outputs, or the
        binary cross-entropy of sigmoid outputs, for features in [0, 1].

    noise : {'gaussian', 'masking'} or None, default=None
        Corrupt the training inputs (never the targets) to learn a denoising
        autoencoder: add normal noise of standard deviation ``noise_level``,
        or set a share ``noise_level`` of the entries to zero. A new
        corruption is drawn for every batch; :meth:`transform` and
        :meth:`score` see clean rows.

    noise_level : float, default=0.1
        Standard deviation of the 'gaussian' noise, or the probability that
        'masking' zeroes an entry.

    sparsity : float or None, default=None
        Target mean activation ``rho`` of the code units, in (0, 1): adds
        ``sparsity_weight * mean_j KL(rho || rho_j)`` to the loss, where
        ``rho_j`` is unit ``j``'s mean activation over the batch. Needs
        ``code_activation='logistic'``.

    sparsity_weight : float, default=0.1
        Weight of the sparsity term.

    tied_weights : bool, default=False
        Each decoder layer uses the transposed weights of the encoder layer it
        mirrors (half the weights), with its own biases.

    pretraining : {'greedy'} or None, default=None
        'greedy' first trains one shallow autoencoder per encoder layer, each
        on the codes of the one below (with the same settings; the code layer
        keeps ``code_activation`` and ``sparsity``; layers above the first
        reconstruct with ``loss='cross_entropy'`` when ``activation`` is
        'logistic', whose outputs lie in (0, 1), and with squared errors
        otherwise), starts the stack from their weights, then trains the whole
        stack (fine-tuning). Their epochs are not in ``history_``.

    ${network_training_parameters}

    ${early_stopping_monitor_parameter}

    ${optimizer_options_parameters}

    dropout : float or array-like of float, default=0.0
        Dropout probability after the activation of each encoder layer below
        the code and of its mirror in the decoder (training only), or a list
        with one per encoder layer below the code. The code and the
        reconstruction have none; the shallow autoencoders of greedy
        ``pretraining`` have no layer below their code, so no dropout.

    use_bias : bool, default=True
        Whether the encoder's layers (the code layer included) and the
        decoder's hidden layers have a bias; the reconstruction layer always
        has one. An :class:`~skdl.MLPClassifier` pretrained from an
        autoencoder without biases starts its hidden biases at zero.

    ${kernel_initializer_parameter}

    ${device_parameters}

    Attributes
    ----------
    ${history_attributes}

    ${input_attributes}

    See Also
    --------
    sklearn.decomposition.PCA : The best linear code of a given size.
    DBNTransformer : Greedy stacks of RBMs, the other classic pretraining.
    MLPClassifier : Starts its hidden layers from an autoencoder (``pretrain``).

    Notes
    -----
    With ``early_stopping`` or ``validation_data``, the validation score is the
    negative mean squared reconstruction error of the held-out rows, and the
    validation loss (``valid_loss`` in ``history_``) their training loss: the
    reconstruction error that ``loss`` names, plus the sparsity term.

    References
    ----------
    G. E. Hinton and R. R. Salakhutdinov, "Reducing the dimensionality of data
    with neural networks", Science 313, 2006. Y. Bengio, P. Lamblin, D. Popovici
    and H. Larochelle, "Greedy layer-wise training of deep networks", NIPS 19,
    2007. P. Vincent, H. Larochelle, I. Lajoie, Y. Bengio and P.-A. Manzagol,
    "Stacked denoising autoencoders", JMLR 11, 2010. A. Ng, "Sparse
    autoencoder", CS294A lecture notes, 2011.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skdl import AutoencoderTransformer
    >>> X = load_digits().data / 16
    >>> autoencoder = AutoencoderTransformer(
    ...     (64, 8), learning_rate_init=0.01, early_stopping=True, random_state=0
    ... ).fit(X)
    >>> autoencoder.transform(X).shape
    (1797, 8)
    >>> pca = PCA(8).fit(X)
    >>> pca_error = ((pca.inverse_transform(pca.transform(X)) - X) ** 2).mean()
    >>> bool(-autoencoder.score(X) < pca_error)
    True
    """

    _block_input_refused = "trains on its rows as its targets too"

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        **NETWORK_OPTION_CONSTRAINTS,
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [ActivationOptions(), list, tuple],
        "code_activation": [ActivationOptions()],
        "loss": [StrOptions({"squared_error", "cross_entropy"})],
        "noise": [StrOptions({"gaussian", "masking"}), None],
        "noise_level": [Interval(Real, 0, None, closed="left")],
        "sparsity": [Interval(Real, 0, 1, closed="neither"), None],
        "sparsity_weight": [Interval(Real, 0, None, closed="left")],
        "tied_weights": ["boolean"],
        "pretraining": [StrOptions({"greedy"}), None],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "use_bias": ["boolean"],
        "kernel_initializer": [StrOptions(set(INITIALIZERS)), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(128, 32),
        activation="relu",
        *,
        code_activation="identity",
        loss="squared_error",
        noise=None,
        noise_level=0.1,
        sparsity=None,
        sparsity_weight=0.1,
        tied_weights=False,
        pretraining=None,
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
        tol=1e-5,
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
        use_bias=True,
        kernel_initializer="glorot_uniform",
        device="cpu",
        precision="float32",
        n_threads=None,
        compile=False,
        callbacks=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.code_activation = code_activation
        self.loss = loss
        self.noise = noise
        self.noise_level = noise_level
        self.sparsity = sparsity
        self.sparsity_weight = sparsity_weight
        self.tied_weights = tied_weights
        self.pretraining = pretraining
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
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.device = device
        self.precision = precision
        self.n_threads = n_threads
        self.compile = compile
        self.callbacks = callbacks

    # -- fitting ----------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, validation_data=None):
        """Train the autoencoder to reconstruct ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; values in [0, 1] for ``loss='cross_entropy'``.
        y : None
            Ignored.
        validation_data : {array-like, sparse matrix} or tuple, default=None
            Held-out rows ``X_val`` of shape (n_val_samples, n_features), or
            Keras' ``(X_val, X_val)`` (an autoencoder's targets are its
            inputs). Their loss and score are recorded each epoch in
            ``history_`` (``valid_loss``, ``valid_score``), and
            ``early_stopping`` and the 'plateau' schedule watch them instead
            of setting aside ``validation_fraction`` of ``X``. Rows are never
            corrupted by ``noise``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, None, validation_data=validation_data)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train for exactly one epoch over ``X``, keeping the optimizer.

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
        return self._fit(X, None, incremental=True)

    def _encode_targets(self, y, *, X, sample_weight, reset, incremental, classes):
        """The targets are the rows themselves (clean, for a denoising model)."""
        if self.loss == "cross_entropy":
            values = X.data if sp.issparse(X) else X
            if values.size and (values.min() < 0 or values.max() > 1):
                raise ValueError(
                    "AutoencoderTransformer with loss='cross_entropy' models "
                    "features in [0, 1], but X holds values from "
                    f"{values.min():.4g} to {values.max():.4g}. Scale X to [0, 1] "
                    "with sklearn.preprocessing.MinMaxScaler, or use "
                    "loss='squared_error'."
                )
        return X, None

    def _validation_arrays(self, validation_data):
        """``(X_val, X_val, None)`` from ``fit``'s ``validation_data``: the rows
        themselves, or Keras' pair ``(X_val, X_val)``. Any other tuple is an
        error: the targets of an autoencoder are its inputs.
        """
        pair = isinstance(validation_data, tuple)
        if pair and len(validation_data) != 2:
            _refuse_validation_data(f"a tuple of length {len(validation_data)}")
        X_val = validation_data[0] if pair else validation_data
        arrays = super()._validation_arrays((X_val, None))
        if pair and validation_data[1] is not validation_data[0]:
            targets = validation_data[1]
            shape = getattr(targets, "shape", None) or np.shape(targets)
            if tuple(shape) != arrays[0].shape or not _same_rows(
                arrays[0], self._validate_X_y(targets, None, reset=False)[0]
            ):
                _refuse_validation_data(
                    "a pair (X_val, y_val) whose second entry is not X_val"
                )
        return arrays

    def _layer_sizes(self) -> list[int]:
        return check_layer_sizes(self.hidden_layer_sizes)

    def _hidden_activations(self) -> list[str]:
        """The activation of each encoder layer below the code (checked)."""
        return per_layer_activations(
            self.activation,
            len(self._layer_sizes()) - 1,
            "activation",
            "encoder layers below the code",
        )

    def _build_module(self) -> AutoencoderModule:
        sizes = self._layer_sizes()
        logistic_code = canonical_activation(self.code_activation) == "logistic"
        if self.sparsity is not None and not logistic_code:
            raise ValueError(
                "sparsity sets the mean activation of the code units, which must "
                "lie in (0, 1): set code_activation='logistic' (got "
                f"{self.code_activation!r})."
            )
        self._n_features_out = sizes[-1]
        return AutoencoderModule(
            self.n_features_in_,
            sizes,
            activation=self.activation,
            code_activation=self.code_activation,
            tied_weights=self.tied_weights,
            dropout=self.dropout,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
        )

    def _make_criterion(self) -> ReconstructionLoss:
        return ReconstructionLoss(
            self.n_features_in_,
            loss=self.loss,
            sparsity=self.sparsity,
            sparsity_weight=self.sparsity_weight,
        )

    @property
    def _score_fn(self):
        return functools.partial(
            _negative_squared_error, sigmoid=self.loss == "cross_entropy"
        )

    def _train_transform(self, seed: int):
        if self.noise is None:
            return None
        generator = torch.Generator().manual_seed(seed_from_random_state(seed, salt=1))
        return functools.partial(
            corrupt, noise=self.noise, level=self.noise_level, generator=generator
        )

    def _initialize_module(self, module: AutoencoderModule, train) -> None:
        """Greedy layer-wise pretraining: one shallow autoencoder per layer."""
        if self.pretraining is None:
            return
        rows = host_rows(train.arrays[0])
        sizes = self._layer_sizes()
        hidden = self._hidden_activations()
        listed = not isinstance(self.activation, str)
        device = module.encoder[0].weight.device
        for i, size in enumerate(sizes):
            top = i == len(sizes) - 1
            if self.verbose:
                print(
                    f"[{type(self).__name__}] pretraining layer {i + 1}/{len(sizes)}:"
                    f" {rows.shape[1]} -> {size} units"
                )
            # the rows of layer i are the codes of layer i - 1
            below = hidden[i - 1] if i else None
            logistic = below is not None and canonical_activation(below) == "logistic"
            upper_loss = "cross_entropy" if logistic else None
            layer = clone(self).set_params(
                hidden_layer_sizes=(size,),
                # a list: this layer's (its reconstruction layer starts as
                # the layers of that activation do)
                activation=(
                    [*hidden, self.code_activation][i] if listed else self.activation
                ),
                code_activation=self.code_activation if top else hidden[i],
                loss=self.loss if i == 0 else upper_loss or "squared_error",
                sparsity=self.sparsity if top else None,
                dropout=0.0,
                pretraining=None,
                warm_start=False,
                callbacks=None,
                device=device,
                # from the seeded stream: random_state reproduces the whole fit
                random_state=int(torch.randint(2**31 - 1, ())),
            )
            layer.fit(rows)
            shallow = layer.net_.module_
            mirror = len(sizes) - 1 - i
            with torch.no_grad():
                module.encoder[i].load_state_dict(shallow.encoder[0].state_dict())
                for mine, theirs in zip(
                    module.decoder_layer(mirror), shallow.decoder_layer(0), strict=True
                ):
                    # tied: biases only; use_bias=False: a hidden decoder layer
                    # has none, though the shallow one's reconstruction has
                    if mine is not None and (not self.tied_weights or mine.ndim == 1):
                        mine.copy_(theirs)
            if not top:
                rows = layer.transform(rows)

    # -- the pretraining protocol of MLPClassifier and MLPRegressor --------------------
    def _encoder_layers(self) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        return [(layer.weight, layer.bias) for layer in self.net_.module_.encoder]

    def _encoder_activations(self) -> list[str]:
        return [canonical_activation(name) for name in self._hidden_activations()] + [
            canonical_activation(self.code_activation)
        ]

    # -- inference --------------------------------------------------------------------
    def _output_function(self, raw: torch.Tensor) -> torch.Tensor:
        reconstruction = raw[:, : self.n_features_in_]
        if self._sigmoid_outputs:
            return reconstruction.sigmoid()
        return reconstruction

    @property
    def _sigmoid_outputs(self) -> bool:
        """Whether the fitted net reconstructs through a sigmoid: the ``loss``
        it was trained with, whatever ``set_params`` changed since.
        """
        return self._built_with["net"]["loss"] == "cross_entropy"

    @lazy_on_dask
    def transform(self, X) -> np.ndarray:
        """The code of each row: the output of the encoder's last layer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.

        Returns
        -------
        ndarray of shape (n_samples, hidden_layer_sizes[-1])
            The codes; float32 for float32 input, float64 otherwise.
        """
        return self._features(X, lambda module, rows: module.encode(rows))

    @lazy_on_dask
    def inverse_transform(self, X) -> np.ndarray:
        """Decode codes into rows of the feature space.

        Parameters
        ----------
        X : array-like of shape (n_samples, hidden_layer_sizes[-1])
            Codes, as :meth:`transform` returns them.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The reconstructions: ``inverse_transform(transform(X))`` is the
            autoencoder's reconstruction of ``X``. float32 for float32 input,
            float64 otherwise.
        """
        check_is_fitted(self)
        decode = functools.partial(_decode, sigmoid=self._sigmoid_outputs)
        return self._features(X, decode, self._validate_codes)

    def _validate_codes(self, X) -> np.ndarray:
        codes = check_array(X, dtype=self._fitted_float_dtype(), input_name="X")
        if codes.shape[1] != self._n_features_out:
            raise ValueError(
                f"X has {codes.shape[1]} features, but the code of "
                f"{type(self).__name__} has {self._n_features_out} units: "
                "inverse_transform takes codes, as transform returns them."
            )
        return codes

    @on_cpu_by_default
    def score(self, X, y=None) -> float:
        """Negative mean squared reconstruction error (higher is better).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.
        y : None
            Ignored.

        Returns
        -------
        float
            ``-mean((reconstruction - X) ** 2)`` over all entries.
        """
        X = self._checked_input(X)
        reconstruction = self._forward(X)
        X = X.toarray() if sp.issparse(X) else X
        return -float(np.mean((reconstruction - X) ** 2))


def _refuse_validation_data(what: str):
    raise ValueError(
        "validation_data of an AutoencoderTransformer is the held-out rows X_val "
        "(array-like or sparse), or Keras' pair (X_val, X_val): an autoencoder "
        f"reconstructs its inputs, so it takes no other targets; got {what}. "
        "Pass validation_data=X_val."
    )


def _same_rows(X, Y) -> bool:
    """Whether two validated arrays (dense or sparse) hold the same values."""
    if X.shape != Y.shape:
        return False
    if sp.issparse(X) or sp.issparse(Y):
        return (sp.csr_matrix(X) != sp.csr_matrix(Y)).nnz == 0
    return bool(np.array_equal(X, Y))


def _decode(module: AutoencoderModule, codes: torch.Tensor, *, sigmoid: bool):
    raw = module.decode(codes)
    return raw.sigmoid() if sigmoid else raw


def _negative_squared_error(outputs, y, weight, *, sigmoid: bool):
    """Validation score: the negative MSE of the reconstructions (on the device)."""
    if not torch.is_tensor(y):  # the rows of a sparse or memory-mapped X
        y = y[torch.arange(len(y))]
    reconstruction = outputs[:, : y.shape[1]]
    if sigmoid:
        reconstruction = reconstruction.sigmoid()
    return -(reconstruction - y).square().mean().item()
