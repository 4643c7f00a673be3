"""Shared docstring sections, so a parameter is described once for every estimator.

A docstring line that holds only ``${name}`` (indented like the section around
it) is replaced by the entry ``name`` of :data:`SECTIONS`, re-indented to match.
For a class, the defaults the sections state are those of its ``__init__``, so an
estimator may choose other defaults than the shared text (a text model's
``batch_size``, say) without its documentation going wrong.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap

__all__ = ["SECTIONS", "fill_doc"]

_TRAINING_HEAD = """\
solver : {'adam', 'sgd', 'lbfgs', 'adamw', 'rmsprop', 'adagrad', 'adadelta', \
'adamax', 'nadam'}, default='adam'
    The torch optimizer. 'lbfgs' (quasi-Newton, full batch, one L-BFGS
    iteration per epoch with a strong-Wolfe line search) often converges faster
    on small data sets; 'adam' is a robust default. 'adamax' and 'nadam' take
    ``beta_1``, ``beta_2`` and ``epsilon`` as 'adam' does; 'adadelta' runs at
    ``learning_rate_init`` times its own step (PyTorch's default rate is 1.0).
    The fused kernels of 'adam', 'adamw', 'sgd' and 'adagrad' are used where
    torch has them.

alpha : float, default=0.0001
    Strength of the L2 penalty ``0.5 * alpha * ||W||^2 / batch_size`` on the
    weight matrices (not biases), as in scikit-learn. It is applied as
    ``weight_decay = alpha / batch_size`` (decoupled for 'adamw'), or added to
    the loss for 'lbfgs'.

batch_size : int or 'auto', default='auto'
    Samples per mini-batch; 'auto' is ``min(200, n_samples)``. 'lbfgs' uses
    the whole training set.

learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
    Schedule, updated after each epoch as in scikit-learn: 'invscaling' sets
    ``learning_rate_init / (t + 1) ** power_t`` with ``t`` the samples seen;
    'adaptive' divides the rate by 5 whenever the monitored value stalls for
    ``n_iter_no_change`` epochs, instead of stopping, until it is below 1e-6.
    Used by every solver except 'lbfgs'.

learning_rate_init : float, default=0.001
    Initial learning rate (not used by 'lbfgs')."""

# the network estimators' head: more schedules, and their parameters
_LR_CLASSIC = """\
learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
    Schedule, updated after each epoch as in scikit-learn: 'invscaling' sets
    ``learning_rate_init / (t + 1) ** power_t`` with ``t`` the samples seen;
    'adaptive' divides the rate by 5 whenever the monitored value stalls for
    ``n_iter_no_change`` epochs, instead of stopping, until it is below 1e-6.
    Used by every solver except 'lbfgs'.
"""
_LR_NETWORK = """\
learning_rate : {'constant', 'invscaling', 'adaptive', 'exponential', 'step', \
'plateau'}, default='constant'
    Schedule, updated after each epoch: 'invscaling' sets
    ``learning_rate_init / (t + 1) ** power_t`` with ``t`` the samples seen;
    'adaptive' divides the rate by 5 whenever the monitored value stalls for
    ``n_iter_no_change`` epochs, instead of stopping, until it is below 1e-6
    (these as in scikit-learn). 'exponential' multiplies it by ``decay_rate``
    every ``decay_steps`` epochs, smoothly (``decay_rate ** (t / decay_steps)``
    after ``t`` epochs, Keras' ``ExponentialDecay``); 'step' does so at once
    every ``decay_steps`` epochs (``staircase=True``); 'plateau' multiplies it
    by ``decay_rate`` after ``plateau_patience`` epochs without a fall of the
    validation loss (the training loss without a validation set) by more than
    ``tol``, Keras' ``ReduceLROnPlateau``. The decays stop at
    ``min_learning_rate``. Used by every solver except 'lbfgs'.
"""
# the parameters of the decays, which LVQ documents beside its own schedules
_DECAY_PARAMETERS = """\
decay_rate : float, default=0.5
    Factor on the learning rate of the 'exponential', 'step' and 'plateau'
    schedules, in (0, 1] (Keras' ``decay_rate`` and ``factor``).

decay_steps : int, default=10
    Epochs per factor ``decay_rate`` of 'exponential' and 'step' (Keras
    counts batches).

plateau_patience : int, default=5
    Epochs without improvement before 'plateau' lowers the rate (Keras'
    ``patience`` of ``ReduceLROnPlateau``).

min_learning_rate : float, default=0.0
    Lowest rate the 'exponential', 'step' and 'plateau' schedules reach
    (Keras' ``min_lr``).
"""
_NETWORK_HEAD = _TRAINING_HEAD.replace(
    _LR_CLASSIC, _LR_NETWORK + "\n" + _DECAY_PARAMETERS
)
assert _NETWORK_HEAD != _TRAINING_HEAD

# the parameters of the training loop after the learning rate, shared by every
# estimator trained by epochs (LVQ documents its own solver and learning rate)
_LOOP_PARAMETERS = """\
power_t : float, default=0.5
    Exponent of the 'invscaling' schedule.

max_iter : int, default=200
    Maximum number of epochs (passes over the training data); for 'lbfgs',
    L-BFGS iterations.

shuffle : bool, default=True
    Draw a new order of the training samples each epoch.

random_state : int, RandomState instance or None, default=None
    Seeds weight initialisation, dropout, shuffling and the validation split.
    With an int, two fits give identical models (bitwise on CPU); torch's and
    NumPy's global random states are never touched. See :term:`Glossary
    <random_state>`.

tol : float, default=1e-4
    An epoch counts as an improvement when the training loss falls (or the
    validation score rises, with ``early_stopping``) by at least ``tol``; for
    'lbfgs', the gradient tolerance.

verbose : bool or int, default=0
    When true, print scikit-learn's lines after each epoch, ``Iteration N, loss
    = L`` (and ``Validation score: S`` with ``early_stopping``), and the reason
    training stopped. For a progress bar, pass
    :class:`skdl.callbacks.EpochProgressBar` in ``callbacks``.

warm_start : bool, default=False
    Start ``fit`` from the current weights instead of new ones (the optimizer
    starts fresh; the history continues). A parameter that changes the network
    (layer sizes, activation, dropout, ...) set since the last fit is an error
    then, as it is for ``partial_fit``. See :term:`the Glossary <warm_start>`.

momentum : float, default=0.9
    Momentum of 'sgd', in [0, 1].

nesterovs_momentum : bool, default=True
    Nesterov momentum for 'sgd' (when ``momentum > 0``).

early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the training data (stratified for
    classifiers), stop when its score (accuracy or R2) has not improved by
    ``tol`` for ``n_iter_no_change`` epochs, and restore the best weights.
    'lbfgs' ignores it, as in scikit-learn, and trains on all the data.

validation_fraction : float, default=0.1
    Share of the training data held out when ``early_stopping`` is on.

beta_1 : float, default=0.9
    Decay of the first moment estimates of 'adam' and 'adamw'.

beta_2 : float, default=0.999
    Decay of the second moment estimates of 'adam' and 'adamw'.

epsilon : float, default=1e-8
    Numerical stability term of 'adam', 'adamw', 'rmsprop' and 'adagrad'.

n_iter_no_change : int, default=10
    Epochs without an improvement of ``tol`` tolerated before stopping (or
    lowering the rate, with 'adaptive').

max_fun : int, default=15000
    Largest number of loss evaluations for 'lbfgs'."""

SECTIONS: dict[str, str] = {
    "training_parameters": _TRAINING_HEAD + "\n\n" + _LOOP_PARAMETERS,
    "network_training_parameters": _NETWORK_HEAD + "\n\n" + _LOOP_PARAMETERS,
    "loop_parameters": _LOOP_PARAMETERS,
    "decay_parameters": _DECAY_PARAMETERS.rstrip("\n"),
    "device_parameters": """\
device : str or torch.device, default='cpu'
    Where to train and predict: 'cpu', 'cuda', 'cuda:N', 'mps', or 'auto' for
    the first of CUDA, MPS and CPU that the machine has. A requested device
    that is missing raises a ``ValueError`` at fit. A model fitted on a GPU
    unpickles on a machine without one (it then predicts on the CPU).

precision : {'auto', 'float32', 'float64', 'bfloat16', 'float16'}, default='float32'
    The arithmetic of the model. 'auto' is scikit-learn's rule: on the CPU, X
    of float32 values trains in float32 and any other X (float64, integers,
    lists) in float64; on a GPU it trains in float32. 'float32' is fast
    everywhere. 'float64' keeps the parameters and computes in float64, like
    scikit-learn (on CPU and CUDA; not MPS), for results that must agree to
    more than float32's ~1e-7; it is slower (a small MLP took 1.13 to 1.47
    times as long on a CPU in ``benchmarks/bench_mlp.py``; most GPUs are many
    times slower in float64).
    'bfloat16' and 'float16' train with mixed precision (``torch.autocast``;
    a gradient scaler for 'float16') on CUDA devices; elsewhere training stays
    in float32, with a warning. ``warm_start`` and ``partial_fit`` keep the
    precision of the fitted model.

n_threads : int or None, default=None
    CPU threads of torch during ``fit`` and ``predict``; -1 uses every core.
    None keeps torch's setting: every core, unless the process was given
    fewer through ``OMP_NUM_THREADS``, as Dask workers (1 each) and joblib's
    process workers (``cores // n_jobs``) are, so parallel searches do not
    oversubscribe the machine. See the user guide on scaling out.

compile : bool or dict, default=False
    Run the forward passes through :func:`torch.compile` (a dict gives its
    keyword arguments, e.g. ``{"mode": "max-autotune"}``). Compiling takes
    seconds to minutes on the first batches and pays off on GPUs and long
    trainings; the fitted ``module_`` stays a plain module, so it pickles.

callbacks : list of skorch callbacks or (name, callback) tuples, default=None
    Extra :mod:`skorch.callbacks` to run during training, e.g.
    ``Checkpoint``, ``LRScheduler`` or ``GradientNormClipping``. A batch is a
    tuple ``(X, y, sample_weight)``. skorch's ``EpochScoring`` and
    ``BatchScoring``, which read skorch datasets, are not supported: the
    validation loss and score are recorded in ``history_`` already.""",
    "rbm_parameters": """\
learning_rate : float, default=0.1
    Step size of the contrastive-divergence updates. It matters more than any
    other setting: values from 0.001 to 0.1 are usual, and Gaussian visible
    units need the small end.

batch_size : int, default=10
    Rows per mini-batch; with ``persistent=True``, also the number of
    persistent Gibbs chains.

n_iter : int, default=10
    Epochs (passes over the training data). 0 only initialises the weights.

k : int, default=1
    Gibbs steps in the negative phase of each update (CD-k, PCD-k).

persistent : bool, default=True
    Persistent contrastive divergence (PCD, also called stochastic maximum
    likelihood, scikit-learn's algorithm): the negative chains carry on from
    where the previous update left them. False gives plain CD, whose chains
    start at the batch.

visible_units : {'bernoulli', 'gaussian'}, default='bernoulli'
    'bernoulli' for features in [0, 1] (binary, or probabilities such as
    min-max scaled pixels); 'gaussian' for real-valued features, modelled with
    unit variance, so standardize them first (e.g. with ``StandardScaler``).

momentum : float, default=0.0
    Momentum of the updates, in [0, 1); 0.5 to 0.9 often speeds training up.

weight_decay : float, default=0.0
    L2 penalty on the weights (not the biases): each update adds
    ``-learning_rate * weight_decay * W``.

sample_visible : bool, default=False
    Whether the negative phase samples the visible units. False takes their
    mean ``E[v | h]`` (the probabilities), as Hinton's practical guide
    recommends: the updates are less noisy, the pseudo-likelihood ends higher,
    and on scikit-learn's digit example the features classify better (the
    user guide compares other data). True is
    scikit-learn's exact update: Bernoulli draws, or the mean plus standard
    normal noise for Gaussian units.

shuffle : bool, default=True
    Draw a new order of the training rows each epoch. scikit-learn's
    ``BernoulliRBM`` always visits them in order (``shuffle=False``).

verbose : bool or int, default=0
    When true, print scikit-learn's line after each epoch, ``[RBMTransformer]
    Iteration N, pseudo-likelihood = P, time = Ts``, with the pseudo-likelihood
    (Bernoulli units) or the reconstruction error (Gaussian units) of the
    training data, which costs a pass over it.

random_state : int, RandomState instance or None, default=None
    Seeds the initial weights, the order of the rows and the Gibbs sampling.
    With an int, two fits give identical models (bitwise on CPU) and
    :meth:`score_samples` corrupts the same features as scikit-learn's;
    torch's and NumPy's global random states are never touched. See
    :term:`Glossary <random_state>`.

device : str or torch.device, default='cpu'
    Where to train and transform: 'cpu', 'cuda', 'cuda:N', 'mps', or 'auto'
    for the first of CUDA, MPS and CPU that the machine has. A requested
    device that is missing raises a ``ValueError`` at fit. A model fitted on a
    GPU unpickles on a machine without one (it then runs on the CPU).

n_threads : int or None, default=None
    CPU threads of torch; -1 uses every core. None keeps torch's setting
    (every core unless ``OMP_NUM_THREADS`` says fewer, as in Dask and joblib
    process workers), except that small products run on one thread, which is
    faster for them. See the user guide on scaling out.""",
    "recurrent_parameters": """\
num_layers : int, default=1
    Stacked recurrent layers; each reads the whole output sequence of the one
    below (Keras' ``return_sequences=True`` stacking).

bidirectional : bool, default=False
    Also read each sequence from its end to its start; each layer's output
    concatenates both directions (``2 * hidden_size`` wide).

cell : {'lstm', 'gru', 'rnn'}, default='lstm'
    The recurrent unit: long short-term memory, gated recurrent unit, or the
    plain tanh (Elman) cell. See the user guide on recurrent networks.

dropout : float, default=0.0
    Dropout probability (training only) on the embeddings (text models), on
    the output sequence of each recurrent layer and between dense layers.

pooling : {'last', 'max', 'mean'}, default='last'
    How the output sequence becomes one vector: 'last' takes the state after
    the last real step (the backward direction's after reading back to the
    first step); 'max' and 'mean' pool the outputs of the real steps. Padding
    never enters the result.

dense_layers : tuple of int, default=()
    Widths of ReLU layers between the pooled vector and the output layer.

conv_filters : tuple of int, default=()
    Conv1D layers before the recurrent layers (Keras' ``Conv1D(filters,
    kernel_size, padding="same", activation="relu")``, then
    ``MaxPooling1D(pool_size)``): the output channels of each. They find
    local patterns (n-grams in text) and, with pooling, shorten the sequences
    the recurrent layers read. None by default. Padding never reaches the real
    steps.

kernel_size : int or list of int, default=3
    Length of the conv kernels, for every conv layer or one per layer.

pool_size : int, list of (int or None), or None, default=None
    Max-pooling window (and stride) after each conv layer, or one per layer;
    None or 1 skips pooling. A sequence of ``n`` steps keeps ``ceil(n /
    pool_size)``.""",
    "sequence_attributes": """\
input_shape_ : tuple of int
    Shape of one training sample: ``(n_timesteps, n_features)``, or
    ``(n_timesteps,)`` for 2-D ``X``. ``predict`` takes samples of this shape.

n_features_in_ : int
    Features per time step (the last axis of 3-D ``X``). For 2-D ``X`` it is
    the number of columns (time steps), as scikit-learn counts features.

feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Column names of a 2-D ``X`` given as a DataFrame with string column
    names; absent otherwise.""",
    "image_layout_parameters": """\
image_shape : tuple, 'auto' or None, default=None
    Shape of one image for flat rows: ``(height, width)`` or with the
    channels (placed as ``data_format`` says); None or 'auto' reads square
    grayscale rows. After :term:`fit`, rows are read as the fitted images
    (``image_shape_``).

data_format : {'channels_last', 'channels_first'}, default='channels_last'
    Where the channel axis of 4-D input and of ``image_shape`` is.""",
    "image_attributes": """\
image_shape_ : tuple of (height, width, channels)
    Shape of the images seen in :term:`fit`.

n_features_in_ : int
    Number of values per image seen during :term:`fit`.

feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of features seen during :term:`fit`. Defined only when `X` has
    feature names that are all strings.""",
    "text_analyzer_parameters": """\
analyzer : {'word', 'char'} or callable, default='word'
    Split documents into words (with ``token_pattern``) or characters, or
    call ``analyzer(document) -> list of tokens``; as in
    :class:`~sklearn.feature_extraction.text.CountVectorizer`, whose
    tokenizer is used.

lowercase : bool, default=True
    Lowercase the text before splitting it (not for a callable analyzer).""",
    "text_vocabulary_parameters": """\
stop_words : {'english'}, list or None, default=None
    Words dropped from the documents (``analyzer='word'`` only).

max_features : int or None, default=None
    Keep only the ``max_features`` most frequent tokens of the training
    documents; the others read as the out-of-vocabulary token.

min_df : float in [0.0, 1.0] or int, default=1
    Keep tokens that occur in at least this many training documents (a
    float: this share of them); the others read as out-of-vocabulary.""",
    "optimizer_options_parameters": """\
amsgrad : bool, default=False
    The AMSGrad variant of 'adam' and 'adamw' (the running maximum of the
    second moments); no effect with other solvers.

rho : float or None, default=None
    Decay of the running average of squared gradients of 'rmsprop' (PyTorch's
    ``alpha``; Keras' ``rho``, 0.9 there) and 'adadelta'. None keeps
    PyTorch's defaults, 0.99 and 0.9; no effect with other solvers.""",
    "early_stopping_monitor_parameter": """\
early_stopping_monitor : {'score', 'loss'}, default='score'
    What ``early_stopping`` watches on the validation set: 'score' (accuracy
    or R2, must rise by ``tol``), as scikit-learn's MLP, or 'loss' (the
    validation loss, must fall by ``tol``), as Keras' ``EarlyStopping(
    monitor="val_loss")``. The best epoch's weights are restored either way.""",
    "one_hot_parameter": """\
one_hot : bool, default=False
    Take ``y`` as one-hot rows, as ``keras.utils.to_categorical`` gives: a 0/1
    matrix with exactly one 1 per row, each column a class. ``classes_`` are
    the column indices (all of them, even a class without samples),
    ``predict`` returns one-hot rows like ``y``, ``predict_proba`` one column
    per class, and the loss is that of single-label classes (a softmax cross
    entropy). With the default ``False`` such a matrix is read as multilabel
    targets, as in scikit-learn (one independent output per column), with a
    warning.""",
    "classifier_loss_parameter": """\
loss : {'log_loss', 'hinge', 'squared_hinge', 'focal'} or callable, default='log_loss'
    The loss minimised, averaged over the samples. 'log_loss': the cross entropy
    of a softmax over the classes (binary and multilabel targets: of each
    logistic output), as in scikit-learn. 'hinge': Crammer and Singer's
    multiclass hinge ``max(0, 1 + max_{j != y} z_j - z_y)`` on the raw scores
    ``z`` (Keras' ``categorical_hinge``; binary and multilabel: ``max(0, 1 - t
    z)`` with ``t = +-1``); 'squared_hinge' its square. With hinge losses
    ``predict_proba`` is a softmax (sigmoid) of scores trained for a margin,
    not a calibrated probability. 'focal': the focal loss ``(1 - p_t) ** 2 *
    log_loss`` (Lin et al., 2017), which down-weights easy samples; for rare
    classes. Keras' 'binary_crossentropy', 'categorical_crossentropy' and
    'sparse_categorical_crossentropy' are accepted as 'log_loss'. A callable
    or an ``nn.Module`` ``loss(scores, y)`` gets the raw scores (batch,
    n_outputs) and the encoded targets (class indices, ``int64`` of shape
    (batch,), for a softmax; 0/1 floats of shape (batch, n_outputs) for binary
    and multilabel targets) and returns the unreduced losses, one per sample or
    per element (see :class:`skdl.modules.UserLoss`). :func:`skdl.io.save`
    stores a loss given by name; a callable is a Python object, which
    :func:`skdl.io.load` asks for (``load(path, loss=...)``).""",
    "regressor_loss_parameter": """\
loss : {'squared_error', 'absolute_error', 'huber', 'poisson', \
'mean_absolute_percentage_error', 'squared_log_error'} or callable, \
default='squared_error'
    The loss minimised, summed over the outputs and averaged over the samples.
    'squared_error': half the squared error, as scikit-learn; 'absolute_error':
    ``|y - p|`` (robust to outliers, fits the median); 'huber': the squared
    error for residuals up to 1 and linear beyond (PyTorch's ``HuberLoss`` with
    ``delta=1``: scale y, or pass ``loss=torch.nn.HuberLoss(delta=...)``);
    'poisson': half the Poisson deviance, with an exponential output (targets
    must be >= 0); 'mean_absolute_percentage_error': ``|y - p| / |y|``;
    'squared_log_error': ``(log(1 + p) - log(1 + y)) ** 2`` with negative
    predictions counted as 0 (targets must be >= 0). Keras' names are
    accepted: 'mse' and 'mean_squared_error', 'mae' and 'mean_absolute_error',
    'mape', 'msle' and 'mean_squared_logarithmic_error'. A callable or an
    ``nn.Module`` ``loss(outputs, y)`` gets the outputs and targets, both of
    shape (batch, n_outputs), and returns the unreduced losses, one per sample
    or per element (see :class:`skdl.modules.UserLoss`). :func:`skdl.io.save`
    stores a loss given by name; a callable is a Python object, which
    :func:`skdl.io.load` asks for (``load(path, loss=...)``).""",
    "cnn_parameters": """\
conv_filters : array-like of int, default=(32, 64)
    Output channels (filters) of each convolution layer; its length is the
    number of conv blocks.

kernel_size : int, tuple or list, default=3
    Size of the conv kernels, read as Keras reads it: an int is a square
    kernel for every conv layer, a tuple ``(height, width)`` one rectangular
    kernel for every conv layer, and a list one entry (an int or a tuple)
    per conv layer. So ``(3, 3)`` is a 3x3 kernel on every layer of any
    depth, and ``[3, 5]`` a 3x3 then a 5x5 kernel on two layers.

strides : int, tuple or list, default=1
    Step of the convolutions, read as ``kernel_size``.

padding : {'same', 'valid'}, default='same'
    'same' zero-pads so that a conv layer outputs ``ceil(size / stride)``
    pixels per side (as Keras); 'valid' does not pad and outputs
    ``floor((size - dilation * (kernel_size - 1) - 1) / stride) + 1``.

dilation : int, tuple or list, default=1
    Spacing between kernel taps, read as ``kernel_size``.

pool_size : int, tuple, list or None, default=2
    Pooling window after the conv layers (its stride too), read as
    ``kernel_size``; a list may hold None for a layer without pooling.
    None or 1 skips pooling. Pooling outputs ``floor(size / pool_size)``
    pixels per side.

pooling : {'max', 'avg'}, default='max'
    Max or average pooling.

batch_norm : bool, default=False
    Batch normalisation after each conv and hidden dense layer, before the
    activation.

activation : str or list of str, default='relu'
    Hidden activation: 'identity', 'logistic', 'tanh', 'relu', 'elu',
    'leaky_relu', 'prelu', 'selu', 'gelu', 'silu' or 'mish'; Keras' names
    'sigmoid', 'linear' and 'swish' are accepted for 'logistic', 'identity'
    and 'silu'. A list gives one per conv layer, then one per dense layer
    (``len(conv_filters) + len(dense_layers)`` names).

dropout : float or array-like of float, default=0.0
    Dropout probability before each fully connected layer (training only),
    or a list with one per fully connected layer: each dense layer, then
    the output layer (``len(dense_layers) + 1`` entries).

dense_layers : array-like of int, default=(128,)
    Width of each hidden fully connected layer after the conv blocks.

global_pooling : bool, default=False
    Average each feature map over space (global average pooling) instead of
    flattening the last conv block's output.

conv_dropout : float or array-like of float, default=0.0
    Dropout probability at the end of each conv block, after its pooling
    (Keras' ``Conv2D, MaxPooling2D, Dropout``), or a list with one per conv
    layer.

pool_strides : int, tuple, list or None, default=None
    Step of the pooling windows, read as ``kernel_size``; None steps by the
    window (Keras' ``MaxPooling2D(strides=None)``). ``pool_size=3,
    pool_strides=2`` pools overlapping 3x3 windows. One step applies to the
    layers that pool; a step for a layer that does not pool (a list entry, or
    any step when no layer pools) is an error.

use_bias : bool, default=True
    Whether the conv and hidden dense layers have a bias (with
    ``batch_norm``, they have none: the norm's shift replaces it). The
    output layer always has one.

kernel_initializer : str or None, default=None
    How the conv and dense weights start, by Keras' names: 'glorot_uniform',
    'glorot_normal', 'he_uniform', 'he_normal', 'lecun_uniform',
    'lecun_normal', 'orthogonal' or 'zeros' (see
    :func:`skdl.modules.initialize_`); None keeps PyTorch's default
    (uniform in ``+-1/sqrt(fan_in)``).

module : callable or None, default=None
    Your own ``nn.Module`` class (or a function returning a module) to train
    instead of the built-in stack; the architecture parameters above are then
    ignored. A classifier calls it as ``module(n_classes=..., input_shape=(channels,
    height, width))``, a regressor as ``module(n_outputs=..., input_shape=...)``;
    its ``forward`` must map float tensors of shape ``(n, channels, height,
    width)`` to ``(n, n_classes)`` logits or ``(n, n_outputs)`` predictions.
    ``n_classes`` is the number of classes (2 for binary targets) or of labels
    for multilabel targets; ``n_outputs`` the number of targets. Pass the class,
    not an instance, so that every fit (and every clone) starts from fresh
    weights.

image_shape : tuple of int or 'auto', default='auto'
    How to read flat 2-D rows: ``(height, width)``, ``(height, width,
    channels)`` or, with ``data_format='channels_first'``, ``(channels,
    height, width)``; one entry may be -1 (inferred from the row length).
    'auto' reads rows as square grayscale images and raises otherwise.
    Not used for 3-D and 4-D input.

data_format : {'channels_last', 'channels_first'}, default='channels_last'
    Layout of 4-D input: ``(n, height, width, channels)`` or ``(n, channels,
    height, width)``; also the channel position in a 3-tuple
    ``image_shape``.

rescale : 'auto', float or None, default='auto'
    Factor applied to the pixel values before the network sees them. It is
    chosen at fit, kept in ``rescale_`` and applied to every image at
    predict, whatever its dtype. 'auto' picks it from the dtype of the
    training images: 1/255 for uint8 and 1/65535 for uint16 (their full
    range onto [0, 1]), 1 (as given) for floats, signed ints and bool
    (False is 0, True is 1). Since the same pixel values of another dtype
    could then be meant at another scale, with 'auto' an image whose dtype
    'auto' would scale by another factor than ``rescale_`` is an error
    (uint8 images after float ones, float images after uint8 ones). A number
    scales images of every dtype by it; None never rescales.

augment : ImageAugmenter or None, default=None
    Random augmentation of each training batch (see
    :class:`~skdl.augmentation.ImageAugmenter`). Its draws are seeded by
    this estimator's ``random_state``.""",
    "cnn_attributes": """\
image_shape_ : tuple of int
    ``(height, width, channels)`` of the training images; inputs at predict
    time must have this shape (or this many features per flat row).

rescale_ : float
    Factor by which the pixel values were multiplied at fit, and are at
    predict (1.0: as given); see ``rescale``.""",
    "class_weight_parameter": """\
class_weight : dict, 'balanced' or None, default=None
    Weights of the classes in the loss, ``{label: weight}`` with finite
    weights >= 0; 'balanced' uses ``n_samples / (n_classes * np.bincount(y))``
    (not with ``partial_fit``, whose batches do not have the data's class
    counts: pass a dict computed from all of ``y``). Multiplied with
    ``sample_weight`` when both are given.""",
    "history_attributes": """\
loss_ : float
    Training loss of the last epoch as scikit-learn reports it: averaged over
    the samples, summed over the labels of a multilabel target (averaged over
    the outputs for a regressor's squared error), plus the L2 penalty.

best_loss_ : float or None
    Lowest training loss reached; None when ``early_stopping`` is on.

loss_curve_ : list of float
    Training loss of each epoch.

validation_scores_ : list of float or None
    Score on the held-out validation set after each epoch, with
    ``early_stopping``; None otherwise.

best_validation_score_ : float or None
    Best of ``validation_scores_``; None without ``early_stopping``.

t_ : int
    Number of training samples seen.

n_iter_ : int
    Number of epochs run by the last call, as in scikit-learn: by the last
    :term:`fit` (a ``warm_start`` fit counts its own), 1 after
    ``partial_fit``. ``history_``, ``loss_curve_`` and ``t_`` cover every
    epoch since the weights were initialised.

history_ : skorch.History
    One dict per epoch (``epoch``, ``train_loss``, ``valid_loss``,
    ``valid_score``, ``dur``, ...); ``pandas.DataFrame(history_)`` makes a
    table of it.

net_ : skorch.NeuralNet
    The skorch net that holds the trained ``module_``, ``optimizer_`` and
    ``callbacks_``.""",
    "kernel_initializer_parameter": """\
kernel_initializer : str or None, default='glorot_uniform'
    How the weights start, by Keras' names: 'glorot_uniform' (scikit-learn's
    initialisation: weights and biases uniform in ``+-sqrt(6 / (fan_in +
    fan_out))``, 2 instead of 6 for 'logistic' layers), 'glorot_normal',
    'he_uniform', 'he_normal' (for ReLU layers), 'lecun_uniform',
    'lecun_normal' (for SELU), 'orthogonal' or 'zeros', all of these with
    zero biases; None keeps PyTorch's default. See
    :func:`skdl.modules.initialize_`.""",
    "pretrain_parameter": """\
pretrain : RBMTransformer, DBNTransformer, AutoencoderTransformer, \
FrozenEstimator or None, default=None
    Unsupervised pretraining, as in a deep belief network or a stacked
    autoencoder: a fresh fit first trains a clone of this transformer on the
    training rows (the validation split excluded), starts each hidden layer
    from its RBM's weights and hidden biases (or from the autoencoder's
    encoder layers), then trains the whole network on ``y`` (fine-tuning).
    Its layer sizes must equal ``hidden_layer_sizes``, and ``activation``
    must be its units': 'logistic' for RBMs, the autoencoder's
    ``activation``, which its ``code_activation`` must equal (or a list: the
    autoencoder's activations, one per layer, its ``code_activation`` last);
    ``use_bias=False`` takes an autoencoder with ``use_bias=False``. It trains on
    this estimator's device, and, when its own ``random_state`` is None, from
    a seed drawn from this estimator's ``random_state``. A fitted one wrapped
    in :class:`sklearn.frozen.FrozenEstimator` is used as it is, without
    training: pretrain on many unlabelled rows, fine-tune on the few labelled
    ones. See the user guide on RBMs and on autoencoders.""",
    "pretrain_attribute": """\
pretrain_ : RBMTransformer, DBNTransformer or AutoencoderTransformer
    The fitted clone of ``pretrain`` (or the frozen one itself) that started
    the hidden layers; only when ``pretrain`` is set.""",
    "input_attributes": """\
n_features_in_ : int
    Number of features seen during :term:`fit`.

feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of features seen during :term:`fit`. Defined only when `X` has
    feature names that are all strings.""",
}

_PLACEHOLDER = re.compile(r"^(?P<indent>[ \t]*)\$\{(?P<name>\w+)\}[ \t]*$", re.M)


def fill_doc(obj):
    """Replace ``${name}`` lines in ``obj.__doc__`` with shared sections.

    Parameters
    ----------
    obj : class or function
        Its docstring is rewritten in place.

    Returns
    -------
    obj
        The same object, so this works as a decorator.

    Examples
    --------
    >>> from skdl.utils._docstrings import fill_doc
    >>> @fill_doc
    ... class Example:
    ...     '''Parameters
    ...     ----------
    ...     ${device_parameters}
    ...     '''
    >>> "device : str" in Example.__doc__
    True
    """
    defaults = _init_defaults(obj)

    def state_default(line):
        name, stated = line["name"], line["default"]
        if name not in defaults:
            return line[0]
        try:
            same = ast.literal_eval(stated) == defaults[name]
        except (ValueError, SyntaxError):
            same = False
        return line[0] if same else f"{line['head']}{defaults[name]!r}"

    def expand(match):
        section = _DEFAULT_LINE.sub(state_default, SECTIONS[match["name"]])
        return textwrap.indent(section, match["indent"])

    obj.__doc__ = _PLACEHOLDER.sub(expand, obj.__doc__)
    return obj


_DEFAULT_LINE = re.compile(
    r"^(?P<head>(?P<name>\w+) : .*default=)(?P<default>.*)$", re.M
)


def _init_defaults(obj) -> dict:
    if not inspect.isclass(obj):
        return {}
    parameters = inspect.signature(obj.__init__).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not p.empty}
