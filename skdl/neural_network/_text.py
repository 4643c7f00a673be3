"""LSTMTextClassifier: a recurrent network that reads raw text in order."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch
from sklearn.utils.validation import check_array, check_consistent_length

from .._blocks import lazy_on_dask
from .._sequences import TokenBatchingMixin, TokenRows
from ..base import CLASSIFIER_LOSSES, TorchClassifierMixin, loss_options
from ..modules import CELLS, RecurrentModule
from ..utils._docstrings import fill_doc
from ..utils._sklearn import Interval, StrOptions, _fit_context, check_y
from ..utils._text import TEXT_CONSTRAINTS, TokenizerMixin
from ._recurrent import _BaseRecurrent

__all__ = ["LSTMTextClassifier"]

# embedding rows 0 and 1: padding and out-of-vocabulary tokens
_PADDING, _OOV = 0, 1


@fill_doc
class LSTMTextClassifier(
    TokenizerMixin, TokenBatchingMixin, TorchClassifierMixin, _BaseRecurrent
):
    r"""Recurrent neural network text classifier (LSTM, GRU or RNN) on raw strings.

    Takes what :class:`~sklearn.feature_extraction.text.CountVectorizer` takes,
    an iterable of strings (list, numpy array, pandas Series), and, unlike a bag
    of words, reads the words in order, so "not good" and "good, not bad" differ.
    ``fit`` learns a vocabulary with CountVectorizer's tokenization options,
    turns each document into token ids, embeds them and reads them with a stack
    of recurrent layers; the output sequence is pooled (padding excluded) and a
    dense head gives the class scores.

    Documents may also be given already split into tokens (lists of strings) or
    as sequences of integer ids (lists or arrays of ints, e.g. from another
    tokenizer); ids are then tokens of their own, counted and limited like
    words.

    Batches group documents of similar length and pad them at the end; every
    layer reads exactly the real tokens of each document (the right-to-left
    direction reads each document reversed within its length), so a document's
    prediction does not depend on the batch it is in. On CUDA the layers run on
    packed sequences.

    Parameters
    ----------
    hidden_size : int, default=64
        Hidden units of each recurrent layer, per direction.

    embedding_dim : int, default=100
        Width of the learned token embeddings. Ignored with
        ``pretrained_embeddings``, whose vectors set the width.

    ${recurrent_parameters}

    ${text_analyzer_parameters}

    token_pattern : str or None, default=r"(?u)\b\w\w+\b"
        Regular expression of a word for ``analyzer='word'``; the default keeps
        runs of 2 or more alphanumeric characters.

    ${text_vocabulary_parameters}

    max_length : int or None, default=None
        Keep at most this many tokens of each document (None keeps all).
        With ``cell=None`` there are no recurrent layers: the ``max_length``
        token vectors of each document (right-padded with zeros) are flattened
        into ``dense_layers`` and the output, Keras' ``Embedding(input_length=
        max_length) -> Flatten -> Dense`` model; ``hidden_size``,
        ``num_layers``, ``bidirectional`` and ``pooling`` are then not used.

    truncating : {'pre', 'post'}, default='pre'
        With ``max_length``, drop tokens from the start ('pre', keeping the
        end, as Keras' ``pad_sequences``) or from the end ('post').

    pretrained_embeddings : dict, array-like or None, default=None
        Initial token vectors: a dict ``{token: vector}``, or, for integer id
        input, an array of shape ``(n_ids, dim)`` whose row ``i`` is the vector
        of id ``i``. Vocabulary
        tokens without a vector get random ones (of the pretrained vectors'
        scale); the out-of-vocabulary and padding vectors start at zero.

    freeze_embeddings : bool, default=False
        Keep the embeddings fixed during training (with
        ``pretrained_embeddings``, the pretrained vectors are kept as given).

    ${network_training_parameters}

    ${early_stopping_monitor_parameter}

    ${optimizer_options_parameters}

    ${classifier_loss_parameter}

    ${one_hot_parameter}

    ${class_weight_parameter}

    ${device_parameters}

    Attributes
    ----------
    vocabulary_ : dict
        Token -> row of the embedding matrix. Rows 0 (padding) and 1 (tokens
        not in the vocabulary) are not listed; the tokens are strings, or ints
        for id input.

    classes_ : ndarray of shape (n_classes,)
        Class labels, as given in ``y`` (indices 0..n_labels-1 for multilabel).

    n_outputs_ : int
        Number of output units (1 for binary targets).

    out_activation_ : str
        Output function: 'softmax' (multiclass) or 'logistic' (binary and
        multilabel).

    ${history_attributes}

    See Also
    --------
    LSTMClassifier : The same network on numeric sequences.
    sklearn.feature_extraction.text.TfidfVectorizer : Bag-of-words features for
        a linear model, the usual baseline.

    Notes
    -----
    An empty document (or one whose tokens were all dropped) reads as a single
    padding step. Unseen tokens at predict time read as the out-of-vocabulary
    token, whose vector starts at zero and is learned only from tokens that
    ``min_df`` or ``max_features`` leave out of the vocabulary.

    Examples
    --------
    >>> from skdl import LSTMTextClassifier
    >>> X = ["good movie", "not good", "bad movie", "not bad", "great fun",
    ...      "not great"] * 10
    >>> y = ["pos", "neg", "neg", "pos", "pos", "neg"] * 10
    >>> model = LSTMTextClassifier(16, embedding_dim=8, max_iter=30,
    ...                            learning_rate_init=0.02, random_state=0)
    >>> model.fit(X, y).predict(["not good", "good movie"])
    array(['neg', 'pos'], dtype='<U3')
    """

    _block_input_refused = "learns its vocabulary from every document at once"

    _parameter_constraints: dict = {
        **_BaseRecurrent._parameter_constraints,
        **TorchClassifierMixin._parameter_constraints,
        "loss": [loss_options(CLASSIFIER_LOSSES), callable],
        "one_hot": ["boolean"],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        **TEXT_CONSTRAINTS,
        "max_length": [Interval(Integral, 1, None, closed="left"), None],
        "cell": [StrOptions(set(CELLS)), None],
        "truncating": [StrOptions({"pre", "post"})],
        "pretrained_embeddings": ["array-like", dict, None],
        "freeze_embeddings": ["boolean"],
    }

    def __init__(
        self,
        hidden_size=64,
        *,
        embedding_dim=100,
        num_layers=1,
        bidirectional=True,
        cell="lstm",
        dropout=0.3,
        pooling="max",
        dense_layers=(),
        conv_filters=(),
        kernel_size=3,
        pool_size=None,
        analyzer="word",
        lowercase=True,
        token_pattern=r"(?u)\b\w\w+\b",
        stop_words=None,
        max_features=None,
        min_df=1,
        max_length=None,
        truncating="pre",
        pretrained_embeddings=None,
        freeze_embeddings=False,
        solver="adam",
        alpha=0.0001,
        batch_size=32,
        learning_rate="constant",
        learning_rate_init=0.003,
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
        early_stopping=True,
        early_stopping_monitor="score",
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        amsgrad=False,
        rho=None,
        n_iter_no_change=3,
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
        self.embedding_dim = embedding_dim
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.cell = cell
        self.dropout = dropout
        self.pooling = pooling
        self.dense_layers = dense_layers
        self.conv_filters = conv_filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.analyzer = analyzer
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.stop_words = stop_words
        self.max_features = max_features
        self.min_df = min_df
        self.max_length = max_length
        self.truncating = truncating
        self.pretrained_embeddings = pretrained_embeddings
        self.freeze_embeddings = freeze_embeddings
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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, validation_data=None):
        """Learn the vocabulary and train the network on ``X``, ``y``.

        Parameters
        ----------
        X : iterable of str, of token lists or of integer id sequences
            Training documents: raw strings (list, numpy array, pandas Series),
            lists of string tokens, or sequences of integer ids (a 2-D integer
            array is read row by row, every entry a token).
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels (a label indicator matrix for multilabel targets).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each document in the loss.
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

    @lazy_on_dask
    def predict(self, X) -> np.ndarray:
        """Predict class labels (an indicator matrix for multilabel targets).

        Parameters
        ----------
        X : iterable of str, of token lists or of integer id sequences
            Documents of the kind given to ``fit``.

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
        X : iterable of str, of token lists or of integer id sequences
            Documents of the kind given to ``fit``.

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
        X : iterable of str, of token lists or of integer id sequences
            Documents of the kind given to ``fit``.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return super().predict_log_proba(X)

    # -- documents -> token ids -----------------------------------------------------
    def _validate_X_y(self, X, y, *, reset):
        tokens, ids_input = self._tokenize(X)
        y = check_y(y, multi_output=True, estimator=self)
        check_consistent_length(tokens, y)
        if reset:
            self._learn_vocabulary(tokens, ids_input)
        return self._encode(tokens, ids_input), y

    def _validate_X(self, X):
        return self._encode(*self._tokenize(X))

    def _learn_vocabulary(self, tokens, ids_input):
        first = _OOV + 1
        self.vocabulary_ = {
            token: row
            for row, token in enumerate(self._vocabulary_tokens(tokens), start=first)
        }
        self._ids_input = bool(ids_input)

    def _encode(self, tokens, ids_input) -> TokenRows:
        name = type(self).__name__
        if ids_input is not None and ids_input != self._ids_input:
            fitted, given = ("integer ids", "strings")[:: 1 if self._ids_input else -1]
            raise TypeError(
                f"{name} was fitted on {fitted}, but X holds {given}; pass "
                "documents of the kind given to fit."
            )
        if not tokens:
            raise ValueError(f"{name} got 0 documents; at least 1 is required.")
        vocabulary, limit = self.vocabulary_, self.max_length
        sequences = []
        for doc in tokens:
            if limit is not None and len(doc) > limit:
                doc = doc[-limit:] if self.truncating == "pre" else doc[:limit]
            sequences.append([vocabulary.get(token, _OOV) for token in doc])
        return TokenRows.from_sequences(sequences)

    # -- network --------------------------------------------------------------------
    def _build_module(self) -> RecurrentModule:
        if self.cell is None and self.max_length is None:
            raise ValueError(
                "cell=None builds Keras' Embedding -> Flatten -> Dense model, which "
                "flattens a fixed number of tokens: set max_length (e.g. "
                "max_length=100), or choose a cell ('lstm', 'gru', 'rnn')."
            )
        pretrained = self._pretrained_matrix()
        dim = self.embedding_dim if pretrained is None else pretrained.shape[1]
        module = RecurrentModule(
            dim,
            self.hidden_size,
            self.n_outputs_,
            vocabulary_size=len(self.vocabulary_) + _OOV + 1,
            flatten_length=self.max_length if self.cell is None else None,
            **self._module_kwargs(),
        )
        weight = module.embedding.weight
        with torch.no_grad():
            if pretrained is not None:
                weight.copy_(pretrained)
            weight[_OOV] = 0.0
        weight.requires_grad_(not self.freeze_embeddings)
        return module

    def _pretrained_matrix(self):
        """Embedding matrix from ``pretrained_embeddings`` (or None)."""
        given = self.pretrained_embeddings
        if given is None:
            return None
        name = type(self).__name__
        if isinstance(given, dict):
            vectors = {
                token: np.asarray(vector, dtype=np.float32)
                for token, vector in given.items()
            }
            widths = {vector.shape for vector in vectors.values()}
            if len(widths) != 1 or len(next(iter(widths))) != 1:
                raise ValueError(
                    "pretrained_embeddings must map tokens to 1-D vectors of one "
                    f"length; got vectors of shapes {sorted(widths)[:3]}."
                )
            lookup = vectors.get
            dim = next(iter(widths))[0]
        else:
            matrix = check_array(
                given, dtype=np.float32, input_name="pretrained_embeddings"
            )
            if not self._ids_input:
                raise ValueError(
                    "An array of pretrained_embeddings gives the vector of integer "
                    "id i in row i, but X holds strings; pass a dict "
                    "{token: vector} instead."
                )

            def lookup(token):
                return matrix[token] if 0 <= token < len(matrix) else None

            dim = matrix.shape[1]
        found = [(row, lookup(token)) for token, row in self.vocabulary_.items()]
        found = [(row, vector) for row, vector in found if vector is not None]
        if not found:
            raise ValueError(
                f"None of the {len(self.vocabulary_)} vocabulary tokens has a vector "
                "in pretrained_embeddings; check that both are tokenized (and "
                "lowercased) the same way."
            )
        rows = torch.tensor([row for row, _ in found])
        vectors = torch.from_numpy(np.stack([vector for _, vector in found]))
        if not torch.isfinite(vectors).all():
            raise ValueError(f"pretrained_embeddings for {name} hold NaN or inf.")
        scale = float(vectors.std()) if vectors.numel() > 1 else 1.0
        matrix = torch.randn(len(self.vocabulary_) + _OOV + 1, dim) * scale
        matrix[rows] = vectors
        matrix[_PADDING] = 0.0
        return matrix

    def _example_input(self) -> torch.Tensor:
        # cell=None flattens exactly max_length tokens
        steps = self.max_length if self.cell is None else 12
        return torch.full((1, steps), _OOV, dtype=torch.int64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.sparse = False
        tags.input_tags.string = True
        return tags
