"""LSTMLanguageModel: a recurrent network that predicts each token from all
the tokens before it, trained on skdl's shared loop.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch

from .._net import SkdlNet
from .._sequences import TokenBatchingMixin, TokenRows
from ..base import NETWORK_OPTION_CONSTRAINTS, BaseTorchEstimator
from ..modules import (
    CELLS,
    NextTokenLoss,
    RecurrentLanguageModule,
    token_log_likelihoods,
)
from ..neural_network._recurrent import _conv_filters, _ints
from ..utils._docstrings import fill_doc
from ..utils._sklearn import Interval, StrOptions, _fit_context
from ..utils._text import TEXT_CONSTRAINTS
from ._base import LanguageModelMixin

__all__ = ["LSTMLanguageModel"]


@fill_doc
class LSTMLanguageModel(LanguageModelMixin, TokenBatchingMixin, BaseTorchEstimator):
    r"""Recurrent neural network language model (LSTM, GRU or RNN), words or characters.

    The neural language model: each text, read from a start marker ``<s>``,
    goes through a token embedding and a stack of recurrent layers, and the
    state after each token scores every vocabulary token as the next one
    (softmax). Unlike an n-gram model, the prediction depends on the whole
    text so far, and similar words share statistical strength through their
    embeddings. Training minimizes the cross-entropy of the next token (the
    log-perplexity) with skdl's training loop: ``device``, mini-batches of
    texts of similar length, and early stopping on the perplexity of held-out
    texts. Same vocabulary, tokens and methods as :class:`NGramLanguageModel`,
    so their perplexities compare directly.

    Read more in the user guide page on language models
    (``docs/user_guide/language_models.rst``) and the gallery example
    ``examples/language/plot_language_models.py``.

    Parameters
    ----------
    hidden_size : int, default=128
        Hidden units of each recurrent layer (of each tanh layer with
        ``cell=None``).

    embedding_dim : int, default=64
        Width of the token embeddings.

    num_layers : int, default=1
        Stacked recurrent layers (tanh layers with ``cell=None``).

    cell : {'lstm', 'gru', 'rnn'} or None, default='lstm'
        The recurrent unit, or None for the fixed-window model of Bengio et
        al. (2003): no recurrent layers; each prediction reads the embeddings
        of the ``max_length`` tokens up to it, concatenated, through
        ``num_layers`` tanh layers of ``hidden_size`` units (``<s>`` markers
        fill the window at a text's beginning), like an n-gram model with
        ``n = max_length + 1`` whose similar words share their statistics.

    dropout : float, default=0.2
        Dropout probability (training only) on the embeddings and on each
        recurrent (or hidden) layer's output.

    tie_weights : bool, default=False
        Use the token embeddings as the output layer's weights (after a linear
        projection of the hidden state to ``embedding_dim`` when
        ``hidden_size`` differs). Fewer parameters; on small corpora often a
        lower perplexity.

    conv_filters : tuple of int, default=()
        Causal Conv1D layers between the embeddings and the recurrent layers
        (or the window of ``cell=None``): the output channels of each (Keras'
        ``Conv1D(filters, kernel_size, padding="causal", activation="relu")``).
        Each pads its input on the left only, so the prediction of a token
        never reads the tokens after it; there is no pooling (no
        ``pool_size``), since a pooled step would. ``()`` (none) by default.

    kernel_size : int or list of int, default=3
        Length of the conv kernels, for every conv layer or one per layer.

    max_length : int or None, default=None
        With ``cell=None``, the number of previous tokens each prediction
        reads (its context, the ``n - 1`` of an n-gram); required there.
        Not used by the recurrent cells, which read the whole text so far.
        The name is that of :class:`LSTMTextClassifier`'s ``Embedding ->
        Flatten -> Dense`` model, which this window model applies at every
        position.

    ${text_analyzer_parameters}

    token_pattern : str or None, default=r"(?u)\w+|[^\w\s]"
        Regular expression of a token for ``analyzer='word'``; the default
        keeps words of any length and each punctuation mark.

    ${text_vocabulary_parameters}

    ${network_training_parameters}

    ${early_stopping_monitor_parameter}

    ${optimizer_options_parameters}

    ${device_parameters}

    Attributes
    ----------
    vocabulary_ : dict
        Token -> column of :meth:`predict_proba_next`: ``'<unk>'`` is 0,
        ``'</s>'`` 1, the training tokens follow in sorted order.

    ${history_attributes}

    See Also
    --------
    NGramLanguageModel : Smoothed n-gram counts: fast, strong on little data.

    Notes
    -----
    ``validation_scores_`` (with ``early_stopping``) hold the mean
    log-likelihood per token of the held-out texts, ``-log(perplexity)``, and
    training stops when it has not risen by ``tol`` for ``n_iter_no_change``
    epochs (``early_stopping_monitor='loss'`` watches ``valid_loss``, the
    cross-entropy per token, the same number negated). The held-out texts
    are ``validation_fraction`` of ``X``, or those given to ``fit`` as
    ``validation_data``. ``loss_curve_`` is the cross-entropy per token of
    each batch, averaged over the batches of an epoch weighted by their
    number of texts.

    The fixed-window model (``cell=None``) computes, for the tokens
    ``w_{t-m+1} .. w_t`` up to step ``t`` (``m = max_length``), ``x =
    [C(w_{t-m+1}); ...; C(w_t)]`` (the embeddings, concatenated), ``h =
    tanh(H x + d)`` (repeated ``num_layers`` times) and ``P(w_{t+1} | ...)
    = softmax(U h + b)``, Bengio et al.'s model without their direct
    input-to-output connections.

    References
    ----------
    T. Mikolov, M. Karafiát, L. Burget, J. Černocký and S. Khudanpur,
    "Recurrent neural network based language model", Interspeech (2010).
    O. Press and L. Wolf, "Using the output embedding to improve language
    models", EACL (2017).
    Y. Bengio, R. Ducharme, P. Vincent and C. Jauvin, "A neural probabilistic
    language model", JMLR 3 (2003).

    Examples
    --------
    >>> from skdl import LSTMLanguageModel
    >>> texts = ["the cat sat on the mat", "the dog sat on the log"] * 20
    >>> lm = LSTMLanguageModel(32, embedding_dim=16, learning_rate_init=0.01,
    ...                        early_stopping=False, max_iter=30,
    ...                        random_state=0).fit(texts)
    >>> lm.perplexity(["the cat sat on the log"]) < 3
    True
    >>> lm.generate(8, seed_text="the dog", random_state=0)
    'the dog sat on the mat'
    """

    _block_input_refused = "learns its vocabulary from every text at once"

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "cell": [StrOptions(set(CELLS)), None],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "tie_weights": ["boolean"],
        "conv_filters": [tuple, list],
        "kernel_size": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "max_length": [Interval(Integral, 1, None, closed="left"), None],
        **TEXT_CONSTRAINTS,
        **NETWORK_OPTION_CONSTRAINTS,
    }

    _inference_batch_size = 1024

    def __init__(
        self,
        hidden_size=128,
        *,
        embedding_dim=64,
        num_layers=1,
        cell="lstm",
        dropout=0.2,
        tie_weights=False,
        conv_filters=(),
        kernel_size=3,
        max_length=None,
        analyzer="word",
        lowercase=True,
        token_pattern=r"(?u)\w+|[^\w\s]",
        stop_words=None,
        max_features=None,
        min_df=1,
        solver="adam",
        alpha=0.0,
        batch_size=32,
        learning_rate="constant",
        learning_rate_init=0.003,
        power_t=0.5,
        decay_rate=0.5,
        decay_steps=10,
        plateau_patience=5,
        min_learning_rate=0.0,
        max_iter=100,
        shuffle=True,
        random_state=None,
        tol=1e-3,
        verbose=0,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=True,
        early_stopping_monitor="score",
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        amsgrad=False,
        rho=None,
        n_iter_no_change=2,
        max_fun=15000,
        device="cpu",
        precision="float32",
        n_threads=None,
        compile=False,
        callbacks=None,
    ):
        self.hidden_size = hidden_size
        self.embedding_dim = embedding_dim
        self.num_layers = num_layers
        self.cell = cell
        self.dropout = dropout
        self.tie_weights = tie_weights
        self.conv_filters = conv_filters
        self.kernel_size = kernel_size
        self.max_length = max_length
        self.analyzer = analyzer
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.stop_words = stop_words
        self.max_features = max_features
        self.min_df = min_df
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
        self.device = device
        self.precision = precision
        self.n_threads = n_threads
        self.compile = compile
        self.callbacks = callbacks

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, validation_data=None):
        """Learn the vocabulary and train the network to predict each token of ``X``.

        Parameters
        ----------
        X : iterable of str or of token lists
            Training texts, each read as one sequence.
        y : None
            Ignored.
        validation_data : iterable of str or of token lists, default=None
            Held-out texts, as Keras' ``validation_data``: their cross-entropy
            per token (``valid_loss``, the log of their perplexity) and mean
            log-likelihood per token (``valid_score``) are recorded each epoch
            in ``history_``, and ``early_stopping`` stops on them instead of
            setting aside ``validation_fraction`` of ``X``. Read with the
            vocabulary learned from ``X``.

        Returns
        -------
        self : object
            The fitted model.
        """
        return self._fit(X, None, validation_data=validation_data)

    # -- texts -> id rows ----------------------------------------------------------
    def _validate_X_y(self, X, y, *, reset):
        rows = self._rows(self._encode_texts(X, reset=reset), end=True)
        return rows, rows  # each text is its own target, one step ahead

    def _encode_targets(self, y, *, X, sample_weight, reset, incremental, classes):
        return y, None

    def _validate_X(self, X):
        return self._encode_texts(X, reset=False)

    def _validation_arrays(self, validation_data):
        kind = type(validation_data).__name__
        texts = validation_data
        if isinstance(texts, str | bytes) or not hasattr(texts, "__iter__"):
            problem = f"got {kind}"
        elif not (texts := list(texts)):
            problem = f"got an empty {kind}"
        elif isinstance(validation_data, tuple) and texts[-1] is None:
            # Keras' (X_val, y_val) habit: a language model has no y
            problem = "got a tuple ending in None, as (X_val, y_val); pass X_val"
        else:
            rows, targets = self._validate_X_y(texts, None, reset=False)
            return rows, targets, None
        raise ValueError(
            "validation_data of LSTMLanguageModel holds held-out texts: a list of "
            f"strings (or of token lists), as X; {problem}."
        )

    def _checked_texts(self, X):
        # the base's checks, with its advice on running out of memory
        return self._checked_input(X)

    def _rows(self, texts, *, end: bool) -> TokenRows:
        """Module ids of the texts: ``<s>``, the tokens, and ``</s>`` if ``end``."""
        size = len(self.vocabulary_)
        start, stop = [size + 1], [2] if end else []  # </s> is column 1, id 2
        return TokenRows.from_sequences(
            [[*start, *(text + 1), *stop] for text in texts]
        )

    # -- network -------------------------------------------------------------------
    def _build_module(self) -> RecurrentLanguageModule:
        if self.cell is None and self.max_length is None:
            raise ValueError(
                "cell=None builds the fixed-window model, which reads the "
                "max_length tokens before each prediction: set max_length (e.g. "
                "max_length=3), or choose a cell ('lstm', 'gru', 'rnn')."
            )
        return RecurrentLanguageModule(
            len(self.vocabulary_),
            _ints(self.embedding_dim),
            _ints(self.hidden_size),
            num_layers=_ints(self.num_layers),
            cell=self.cell,
            dropout=self.dropout,
            tie_weights=self.tie_weights,
            conv_filters=_conv_filters(self.conv_filters),
            kernel_size=_ints(self.kernel_size),
            context_length=_ints(self.max_length) if self.cell is None else None,
        )

    def _make_criterion(self):
        return NextTokenLoss()

    def _make_net(self, **kwargs) -> SkdlNet:
        return _LanguageModelNet(**kwargs)

    @property
    def _score_fn(self):
        return _mean_log_likelihood

    def _example_input(self) -> torch.Tensor:
        return torch.full((1, 12), 1, dtype=torch.int64)

    def _output_function(self, raw):
        return _log_softmax(raw)

    # -- the two primitives of LanguageModelMixin ------------------------------------
    def _log_likelihoods(self, texts) -> np.ndarray:
        def scores(forward, batch):
            return token_log_likelihoods(self._output_function(forward(batch)), batch)

        return self._forward(self._rows(texts, end=True), apply=scores)

    def _next_proba(self, contexts) -> np.ndarray:
        def last_step(forward, batch):
            log_proba = self._output_function(forward(batch))
            last = (batch != 0).sum(dim=1) - 1
            return log_proba[torch.arange(len(batch)), last].exp()

        return self._forward(self._rows(contexts, end=False), apply=last_step)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


class _LanguageModelNet(SkdlNet):
    """SkdlNet whose loss is per token, and whose validation outputs are each
    text's log-likelihood and length.

    Held-out texts come in batches of different widths; one row per text
    concatenates across them, and gives the validation score (the mean
    log-likelihood per token) exactly.
    """

    def _n_predictions(self, y_pred, y):
        # the loss is the cross-entropy per predicted token (every id after a
        # text's first, <s>, up to its padding), as loss_curve_ reports it
        return (y[:, 1:] != 0).sum()

    def validation_step(self, batch, **fit_params):
        step = super().validation_step(batch, **fit_params)
        ids = batch[0]
        log_proba = _log_softmax(step["y_pred"])
        n_tokens = (ids[:, 1:] != 0).sum(dim=1)
        step["y_pred"] = torch.stack(
            [token_log_likelihoods(log_proba, ids), n_tokens.to(log_proba.dtype)],
            dim=1,
        )
        return step


def _log_softmax(logits: torch.Tensor) -> torch.Tensor:
    """Log-probabilities over the last axis, in float32 at least (half and
    bfloat16 logits of autocast are widened; float64 stays float64).
    """
    dtype = torch.promote_types(logits.dtype, torch.float32)
    return torch.log_softmax(logits.to(dtype), dim=2)


def _mean_log_likelihood(outputs, y, weight) -> float:
    return (outputs[:, 0].sum() / outputs[:, 1].sum()).item()
