"""Convolutional neural networks for images (classifier, regressor), on PyTorch."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from torch import nn

from .._blocks import lazy_on_dask
from ..augmentation import ImageAugmenter
from ..base import (
    CLASSIFIER_LOSSES,
    NETWORK_OPTION_CONSTRAINTS,
    REGRESSOR_LOSSES,
    BaseTorchEstimator,
    TorchClassifierMixin,
    TorchRegressorMixin,
    loss_options,
)
from ..modules import INITIALIZERS, CNNModule
from ..utils import seed_from_random_state
from ..utils._docstrings import fill_doc
from ..utils._images import ImageInputMixin
from ..utils._layers import ActivationOptions
from ..utils._sklearn import Interval, StrOptions, _fit_context

__all__ = ["CNNClassifier", "CNNRegressor"]

# rescale='auto': unsigned 8- and 16-bit images span their dtype's range; every
# other dtype (floats, signed ints, bool read as 0/1) is used as given
_AUTO_SCALES = {np.dtype(np.uint8): 1 / 255, np.dtype(np.uint16): 1 / 65535}

_PER_LAYER = [Interval(Integral, 1, None, closed="left"), "array-like"]


class _BaseCNN(ImageInputMixin, BaseTorchEstimator):
    """The convolutional network, its image input and its parameters.

    :class:`CNNClassifier` and :class:`CNNRegressor` add their targets, loss and
    outputs (``TorchClassifierMixin``, ``TorchRegressorMixin``).
    """

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        **NETWORK_OPTION_CONSTRAINTS,
        "conv_filters": ["array-like"],
        "kernel_size": _PER_LAYER,
        "strides": _PER_LAYER,
        "padding": [StrOptions({"same", "valid"})],
        "dilation": _PER_LAYER,
        "pool_size": [*_PER_LAYER, None],
        "pooling": [StrOptions({"max", "avg"})],
        "batch_norm": ["boolean"],
        "activation": [ActivationOptions(), list, tuple],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "dense_layers": ["array-like"],
        "global_pooling": ["boolean"],
        "conv_dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "pool_strides": [*_PER_LAYER, None],
        "use_bias": ["boolean"],
        "kernel_initializer": [StrOptions(set(INITIALIZERS)), None],
        "module": [callable, None],
        "image_shape": [StrOptions({"auto"}), tuple],
        "data_format": [StrOptions({"channels_last", "channels_first"})],
        "rescale": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="neither"),
            None,
        ],
        "augment": [ImageAugmenter, None],
    }

    # images per forward pass at predict time: conv activations are large
    _inference_batch_size = 256

    # the keyword that gives a user module its number of outputs
    _module_outputs = "n_classes"

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, validation_data=None):
        """Train the network on images ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like
            Training images: flat rows ``(n_samples, n_features)`` read with
            ``image_shape``, ``(n_samples, height, width)`` grayscale, or 4-D in
            ``data_format``. uint8 and uint16 images are scaled to [0, 1]
            (see ``rescale``).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (any ints or strings) or a multilabel indicator matrix
            for the classifier; real targets for the regressor.
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

    # -- input --------------------------------------------------------------------
    def _validate_X_y(self, X, y, *, reset):
        return self._validate_images(X, y, reset=reset, dtype=self._float_dtype)

    def _validate_X(self, X):
        return self._validate_images(X, reset=False, dtype=self._fitted_float_dtype())

    def _pixel_scale(self, dtype: np.dtype, *, reset: bool) -> float:
        """The factor for the pixels: chosen at fit (``rescale_``), then kept.

        With ``rescale='auto'``, images whose dtype 'auto' would scale by
        another factor than the fitted one are refused: their values are
        ambiguous (0..255 floats, or [0, 1] floats after uint8 training).
        """
        if self.rescale is None:
            scale = 1.0
        elif isinstance(self.rescale, str):  # 'auto'
            scale = _AUTO_SCALES.get(np.dtype(dtype), 1.0)
        else:
            scale = float(self.rescale)
        if reset:
            self.rescale_ = scale
        elif isinstance(self.rescale, str) and scale != self.rescale_:
            raise ValueError(
                f"{type(self).__name__} was fitted on images whose pixels it "
                f"multiplied by rescale_={self.rescale_:.6g} "
                f"({_describe_scale(self.rescale_)}); got {np.dtype(dtype)} "
                f"images, which rescale='auto' multiplies by {scale:.6g} "
                f"({_describe_scale(scale)}), so the same pixel values would "
                "reach the network at another scale. Pass images of the dtype "
                "given to fit, or set rescale to a number (e.g. rescale=1/255) "
                "and refit, to scale images of every dtype alike."
            )
        return self.rescale_

    def _changed_input_params(self) -> list[str]:
        changed = super()._changed_input_params()
        if not isinstance(self.rescale, str):  # 'auto' is checked by dtype
            scale = 1.0 if self.rescale is None else float(self.rescale)
            if scale != self.rescale_:
                changed.append("rescale")
        return changed

    # -- network ------------------------------------------------------------------
    def _build_module(self) -> nn.Module:
        height, width, channels = self.image_shape_
        input_shape = (channels, height, width)
        if self.module is None:
            module = CNNModule(
                input_shape,
                self.n_outputs_,
                conv_filters=list(self.conv_filters),
                kernel_size=self.kernel_size,
                strides=self.strides,
                padding=self.padding,
                dilation=self.dilation,
                pool_size=self.pool_size,
                pooling=self.pooling,
                batch_norm=self.batch_norm,
                activation=self.activation,
                dropout=self.dropout,
                dense_layers=list(self.dense_layers),
                global_pooling=self.global_pooling,
                conv_dropout=self.conv_dropout,
                pool_strides=self.pool_strides,
                use_bias=self.use_bias,
                kernel_initializer=self.kernel_initializer,
            )
            # channels-last weights make the convolutions (and the activations
            # after them) channels-last: 1.5x faster training and prediction on
            # CPU in benchmarks/bench_cnn.py, and what cuDNN wants in bfloat16.
            # User modules keep their layout: their forward may call .view().
            # L-BFGS flattens the gradients with .view(), which channels-last
            # weights refuse: it keeps the default layout.
            if self.solver == "lbfgs":
                return module
            return module.to(memory_format=torch.channels_last)
        return self._user_module(input_shape)

    def _user_module(self, input_shape) -> nn.Module:
        name = getattr(self.module, "__name__", repr(self.module))
        if isinstance(self.module, nn.Module):
            raise TypeError(
                f"module must be an nn.Module class (or a function that builds "
                f"one), not an instance; pass module={type(self.module).__name__}."
            )
        module = self.module(
            **{self._module_outputs: self.n_outputs_}, input_shape=input_shape
        )
        if not isinstance(module, nn.Module):
            raise TypeError(
                f"module={name} returned {type(module).__name__}, not a "
                "torch.nn.Module."
            )
        was_training = module.training
        module.eval()
        with torch.no_grad():
            out = module(torch.zeros((1, *input_shape)))
        module.train(was_training)
        if not torch.is_tensor(out) or tuple(out.shape) != (1, self.n_outputs_):
            shape = tuple(out.shape) if torch.is_tensor(out) else type(out).__name__
            kind = "logits" if self._module_outputs == "n_classes" else "outputs"
            raise ValueError(
                f"module={name} maps one image of shape {input_shape} to {shape}; "
                f"{type(self).__name__} needs {kind} of shape (1, {self.n_outputs_}):"
                f" build the last layer with {self._module_outputs} outputs."
            )
        return module

    def _example_input(self) -> torch.Tensor:
        height, width, channels = self.image_shape_
        return torch.zeros((1, channels, height, width))

    def _train_transform(self, seed: int):
        if self.augment is None:
            return None
        generator = torch.Generator().manual_seed(seed_from_random_state(seed, salt=1))
        return self.augment._batch_transform(generator)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


@fill_doc
class CNNClassifier(TorchClassifierMixin, _BaseCNN):
    """Convolutional neural network classifier for images, trained with PyTorch.

    A stack of convolution blocks (``Conv2d -> (BatchNorm) -> activation ->
    (pooling)``) followed by fully connected layers, built from Keras-style
    parameters and the shape of the training images, trained with skorch and
    skdl's training loop. Images may come as flat rows (so ``load_digits().data``
    and Pipeline outputs work), ``(n, height, width)`` grayscale arrays or 4-D
    arrays. An :class:`~skdl.augmentation.ImageAugmenter` given as ``augment``
    transforms every training batch on the training device (never validation
    batches, never predictions). Binary targets use two logits and a softmax,
    like any number of classes.

    Read more in the user guide page on convolutional networks
    (``docs/user_guide/cnn.rst``) and the gallery example
    ``examples/neural_network/plot_cnn_digits.py``.

    Parameters
    ----------
    ${cnn_parameters}

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

    ${cnn_attributes}

    n_outputs_ : int
        Number of logits: the number of classes (2 for binary targets) or of
        labels.

    out_activation_ : str
        Output function: 'softmax', or 'logistic' for multilabel targets.

    ${history_attributes}

    n_features_in_ : int
        Number of pixel values per image (``height * width * channels``), the
        number of features of flat rows.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X` is a
        DataFrame whose column names are all strings.

    See Also
    --------
    skdl.augmentation.ImageAugmenter : Train-time image augmentation.
    MLPClassifier : Fully connected network for tabular data.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdl import CNNClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = CNNClassifier((8, 16), dense_layers=(32,), batch_norm=True,
    ...                     rescale=1 / 16, batch_size=32, max_iter=10,
    ...                     random_state=0)
    >>> clf.fit(X[:1000], y[:1000]).score(X[1000:], y[1000:]) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **_BaseCNN._parameter_constraints,
        **TorchClassifierMixin._parameter_constraints,
        "loss": [loss_options(CLASSIFIER_LOSSES), callable],
        "one_hot": ["boolean"],
    }

    def __init__(
        self,
        conv_filters=(32, 64),
        kernel_size=3,
        *,
        strides=1,
        padding="same",
        dilation=1,
        pool_size=2,
        pooling="max",
        batch_norm=False,
        activation="relu",
        dropout=0.0,
        dense_layers=(128,),
        global_pooling=False,
        conv_dropout=0.0,
        pool_strides=None,
        use_bias=True,
        kernel_initializer=None,
        module=None,
        image_shape="auto",
        data_format="channels_last",
        rescale="auto",
        augment=None,
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
        self.conv_filters = conv_filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.dilation = dilation
        self.pool_size = pool_size
        self.pooling = pooling
        self.batch_norm = batch_norm
        self.activation = activation
        self.dropout = dropout
        self.dense_layers = dense_layers
        self.global_pooling = global_pooling
        self.conv_dropout = conv_dropout
        self.pool_strides = pool_strides
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.module = module
        self.image_shape = image_shape
        self.data_format = data_format
        self.rescale = rescale
        self.augment = augment
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

    def _set_classes(self, y, target_type, classes):
        super()._set_classes(y, target_type, classes)
        if self.out_activation_ == "logistic" and target_type != "multilabel-indicator":
            # binary: two logits and a softmax, so that any classification module
            # built with n_classes outputs fits
            self.n_outputs_ = 2
            self.out_activation_ = "softmax"


@fill_doc
class CNNRegressor(TorchRegressorMixin, _BaseCNN):
    """Convolutional neural network regressor for images, trained with PyTorch.

    The network of :class:`CNNClassifier` (conv blocks, then fully connected
    layers) with one linear output per target, trained on half the squared
    error: an angle, a count, a position or a score read from each image. It
    takes the same parameters and image layouts, and the same augmentation
    (which must keep the targets true: rotating images whose target is their
    angle would not).

    Read more in the user guide page on convolutional networks
    (``docs/user_guide/cnn.rst``) and the gallery example
    ``examples/neural_network/plot_cnn_regression.py``.

    Parameters
    ----------
    ${cnn_parameters}

    ${network_training_parameters}

    ${early_stopping_monitor_parameter}

    ${optimizer_options_parameters}

    ${regressor_loss_parameter}

    ${device_parameters}

    Attributes
    ----------
    ${cnn_attributes}

    n_outputs_ : int
        Number of targets.

    out_activation_ : str
        Output function ('identity').

    ${history_attributes}

    n_features_in_ : int
        Number of pixel values per image (``height * width * channels``), the
        number of features of flat rows.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X` is a
        DataFrame whose column names are all strings.

    See Also
    --------
    CNNClassifier : The classifier with the same network.
    MLPRegressor : Fully connected regressor for tabular data.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skdl import CNNRegressor
    >>> X = load_digits().images  # 8x8 digits, pixels 0..16
    >>> y = X[:, :, :4].sum(axis=(1, 2)) / X.sum(axis=(1, 2))  # ink on the left
    >>> reg = CNNRegressor((8, 16), dense_layers=(32,), rescale=1 / 16,
    ...                    batch_size=32, max_iter=15, learning_rate_init=0.003,
    ...                    random_state=0)
    >>> reg.fit(X[:1200], y[:1200]).score(X[1200:], y[1200:]) > 0.8
    True
    """

    _parameter_constraints: dict = {
        **_BaseCNN._parameter_constraints,
        "loss": [loss_options(REGRESSOR_LOSSES), callable],
    }

    _module_outputs = "n_outputs"

    def __init__(
        self,
        conv_filters=(32, 64),
        kernel_size=3,
        *,
        strides=1,
        padding="same",
        dilation=1,
        pool_size=2,
        pooling="max",
        batch_norm=False,
        activation="relu",
        dropout=0.0,
        dense_layers=(128,),
        global_pooling=False,
        conv_dropout=0.0,
        pool_strides=None,
        use_bias=True,
        kernel_initializer=None,
        module=None,
        image_shape="auto",
        data_format="channels_last",
        rescale="auto",
        augment=None,
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
        self.conv_filters = conv_filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.dilation = dilation
        self.pool_size = pool_size
        self.pooling = pooling
        self.batch_norm = batch_norm
        self.activation = activation
        self.dropout = dropout
        self.dense_layers = dense_layers
        self.global_pooling = global_pooling
        self.conv_dropout = conv_dropout
        self.pool_strides = pool_strides
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.module = module
        self.image_shape = image_shape
        self.data_format = data_format
        self.rescale = rescale
        self.augment = augment
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
        """Predict the target(s) of images ``X``.

        Parameters
        ----------
        X : array-like
            Images in a layout that ``fit`` takes, of the fitted
            ``image_shape_``.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions: float32 for float32 ``X``, float64 otherwise.
        """
        return super().predict(X)


def _describe_scale(scale: float) -> str:
    for dtype, factor in _AUTO_SCALES.items():
        if scale == factor:
            return f"1/{np.iinfo(dtype).max}, for {dtype} pixels"
    return "as given" if scale == 1.0 else f"1/{1 / scale:.6g}"
