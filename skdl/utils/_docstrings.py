"""Shared docstring sections, so a parameter is described once for every estimator.

A docstring line that holds only ``${name}`` (indented like the section around
it) is replaced by the entry ``name`` of :data:`SECTIONS`, re-indented to match.
"""

from __future__ import annotations

import re
import textwrap

__all__ = ["SECTIONS", "fill_doc"]

_TRAINING_HEAD = """\
solver : {'adam', 'sgd', 'lbfgs', 'adamw', 'rmsprop', 'adagrad'}, default='adam'
    The torch optimizer. 'lbfgs' (quasi-Newton, full batch, one L-BFGS
    iteration per epoch with a strong-Wolfe line search) often converges faster
    on small data sets; 'adam' is a robust default. The fused kernels of
    'adam', 'adamw', 'sgd' and 'adagrad' are used where torch has them.

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

verbose : int, default=0
    0 is silent, 1 shows a progress bar over epochs, 2 prints a table row per
    epoch.

warm_start : bool, default=False
    Start ``fit`` from the current weights instead of new ones (the optimizer
    starts fresh; the history continues). See :term:`the Glossary <warm_start>`.

momentum : float, default=0.9
    Momentum of 'sgd', in [0, 1].

nesterovs_momentum : bool, default=True
    Nesterov momentum for 'sgd' (when ``momentum > 0``).

early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the training data (stratified for
    classifiers), stop when its score (accuracy or R2) has not improved by
    ``tol`` for ``n_iter_no_change`` epochs, and restore the best weights.

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
    "loop_parameters": _LOOP_PARAMETERS,
    "device_parameters": """\
device : str or torch.device, default='cpu'
    Where to train and predict: 'cpu', 'cuda', 'cuda:N', 'mps', or 'auto' for
    the first of CUDA, MPS and CPU that the machine has. A requested device
    that is missing raises a ``ValueError`` at fit. A model fitted on a GPU
    unpickles on a machine without one (it then predicts on the CPU).

precision : {'float32', 'bfloat16', 'float16'}, default='float32'
    Mixed precision (``torch.autocast``; a gradient scaler for 'float16') on
    CUDA devices. Elsewhere training stays in float32, with a warning.

callbacks : list of skorch callbacks or (name, callback) tuples, default=None
    Extra :mod:`skorch.callbacks` to run during training, e.g.
    ``Checkpoint``, ``LRScheduler`` or ``GradientNormClipping``. A batch is a
    tuple ``(X, y, sample_weight)``. skorch's ``EpochScoring`` and
    ``BatchScoring``, which read skorch datasets, are not supported: the
    validation loss and score are recorded in ``history_`` already.""",
    "class_weight_parameter": """\
class_weight : dict, 'balanced' or None, default=None
    Weights of the classes in the loss, ``{label: weight}``; 'balanced' uses
    ``n_samples / (n_classes * np.bincount(y))``. Multiplied with
    ``sample_weight`` when both are given.""",
    "history_attributes": """\
loss_ : float
    Training loss of the last epoch (with the L2 penalty, as scikit-learn
    reports it).

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
    Number of epochs trained (including earlier ``warm_start`` and
    ``partial_fit`` calls).

history_ : skorch.History
    One dict per epoch (``epoch``, ``train_loss``, ``valid_loss``,
    ``valid_score``, ``dur``, ...); ``pandas.DataFrame(history_)`` makes a
    table of it.

net_ : skorch.NeuralNet
    The skorch net that holds the trained ``module_``, ``optimizer_`` and
    ``callbacks_``.""",
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

    def expand(match):
        return textwrap.indent(SECTIONS[match["name"]], match["indent"])

    obj.__doc__ = _PLACEHOLDER.sub(expand, obj.__doc__)
    return obj
