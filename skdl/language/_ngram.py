"""NGramLanguageModel: counts of word (or character) n-grams, smoothed."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..utils._docstrings import fill_doc
from ..utils._sklearn import Interval, StrOptions, _fit_context
from ..utils._state import attributes_restored_on_error
from ..utils._text import TEXT_CONSTRAINTS
from ._base import LanguageModelMixin

__all__ = ["NGramLanguageModel"]

_SMOOTHINGS = ("kneser_ney", "laplace", "witten_bell", "stupid_backoff")


@fill_doc
class NGramLanguageModel(LanguageModelMixin, BaseEstimator):
    r"""N-gram language model: the probability of a token given the ``n - 1`` before it.

    ``fit`` learns a vocabulary with CountVectorizer's options and counts the
    n-grams of the training texts, each text padded with ``n - 1`` start
    markers ``<s>`` and one end marker ``</s>``. The counts are smoothed so that
    unseen n-grams and unseen words (``<unk>``) get a share of the probability;
    every smoothing ends its recursion in the uniform distribution over the
    vocabulary. :meth:`score` gives the mean log-likelihood per token,
    :meth:`perplexity` its exponential, :meth:`predict_proba_next` the
    distribution of the next token and :meth:`generate` samples text.

    Read more in the user guide page on language models
    (``docs/user_guide/language_models.rst``) and the gallery example
    ``examples/language/plot_language_models.py``.

    Parameters
    ----------
    n : int, default=3
        Order of the model: 1 for unigrams, 2 for bigrams, 3 for trigrams.

    smoothing : str, default='kneser_ney'
        How the counts become probabilities (formulas under Notes): one of
        'kneser_ney', 'laplace', 'witten_bell' and 'stupid_backoff'.
        'kneser_ney' is interpolated Kneser-Ney (absolute discounting, with
        lower orders estimated from the number of distinct tokens a context
        follows), usually the best. 'laplace' adds ``alpha`` to every count of
        the n-grams of order ``n``. 'witten_bell' is interpolated Witten-Bell.
        'stupid_backoff' is the scheme of Brants et al. (2007) for very large
        corpora: cheap, but its scores are not probabilities (they do not sum
        to 1), so its perplexity is not comparable to the others'.
        The counts do not depend on ``smoothing``, ``discount``, ``alpha`` or
        ``backoff_weight``: they are read when probabilities are computed, so
        ``set_params(smoothing='laplace')`` on a fitted model compares
        smoothings without counting again (``n`` and the vocabulary's
        parameters take effect at the next ``fit``).

    discount : float in (0, 1], default=0.75
        Discount ``D`` subtracted from every count by 'kneser_ney'.

    alpha : float, default=1.0
        Count added to every n-gram by 'laplace': 1 is Laplace's add-one
        rule, other values Lidstone's.

    backoff_weight : float in (0, 1], default=0.4
        Factor of a lower order's score when 'stupid_backoff' backs off (0.4
        in Brants et al.).

    ${text_analyzer_parameters}

    token_pattern : str or None, default=r"(?u)\w+|[^\w\s]"
        Regular expression of a token for ``analyzer='word'``; the default
        keeps words of any length and each punctuation mark.

    ${text_vocabulary_parameters}

    Attributes
    ----------
    vocabulary_ : dict
        Token -> column of :meth:`predict_proba_next`: ``'<unk>'`` is 0,
        ``'</s>'`` 1, the training tokens follow in sorted order.

    ngram_counts_ : list of ndarray
        ``ngram_counts_[k - 1]`` lists the distinct k-grams of the training
        texts, one per row: their ``k`` token columns (``-1`` for ``<s>``),
        then their count, in lexicographic order.

    See Also
    --------
    LSTMLanguageModel : A recurrent network language model.

    Notes
    -----
    Write :math:`c(hw)` for the count of token :math:`w` after the context
    :math:`h` (its ``n - 1`` preceding tokens, or fewer at lower orders),
    :math:`c(h) = \sum_w c(hw)`, :math:`N_{1+}(h\,\bullet)` for the number of
    distinct tokens seen after :math:`h`, :math:`h'` for :math:`h` without its
    first token, and :math:`V` for the vocabulary size. At the bottom of every
    recursion is :math:`P_0(w) = 1 / V`. Where a context was never seen
    (:math:`c(h) = 0`), a model uses the lower order's value.

    - Interpolated Kneser-Ney: at order ``n``

      .. math:: P(w \mid h) = \frac{\max(c(hw) - D, 0)}{c(h)}
                + \frac{D\, N_{1+}(h\,\bullet)}{c(h)}\, P(w \mid h'),

      and the lower orders (down to unigrams, which interpolate with
      :math:`P_0`) use the same formula with :math:`c(hw)` replaced by the
      continuation count :math:`N_{1+}(\bullet\, hw)`, the number of distinct
      tokens seen before :math:`hw`.
    - Laplace: :math:`P(w \mid h) = (c(hw) + \alpha) / (c(h) + \alpha V)`.
    - Interpolated Witten-Bell: :math:`P(w \mid h) = (c(hw) + N_{1+}(h\,
      \bullet)\, P(w \mid h')) / (c(h) + N_{1+}(h\,\bullet))`.
    - Stupid backoff: :math:`S(w \mid h) = c(hw) / c(h)` if :math:`c(hw) > 0`,
      else :math:`\lambda\, S(w \mid h')`, with :math:`\lambda` the
      ``backoff_weight``.

    References
    ----------
    S. F. Chen and J. Goodman, "An empirical study of smoothing techniques for
    language modeling", Harvard TR-10-98 (1998). T. Brants, A. C. Popat, P. Xu,
    F. J. Och and J. Dean, "Large language models in machine translation",
    EMNLP-CoNLL (2007).

    Examples
    --------
    >>> from skdl import NGramLanguageModel
    >>> texts = ["the cat sat on the mat", "the dog sat on the log",
    ...          "a cat sat on a dog"]
    >>> lm = NGramLanguageModel(n=2).fit(texts)
    >>> proba = lm.predict_proba_next(["the cat sat on"])
    >>> round(float(proba.sum()), 6)
    1.0
    >>> max(lm.vocabulary_, key=lambda word: proba[0, lm.vocabulary_[word]])
    'the'
    >>> lm.perplexity(["the cat sat on the log"]) < lm.perplexity(["log the on"])
    True
    """

    _parameter_constraints: dict = {
        "n": [Interval(Integral, 1, None, closed="left")],
        "smoothing": [StrOptions(set(_SMOOTHINGS))],
        "discount": [Interval(Real, 0, 1, closed="right")],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "backoff_weight": [Interval(Real, 0, 1, closed="right")],
        **TEXT_CONSTRAINTS,
    }

    def __init__(
        self,
        n: int = 3,
        *,
        smoothing: str = "kneser_ney",
        discount: float = 0.75,
        alpha: float = 1.0,
        backoff_weight: float = 0.4,
        analyzer="word",
        lowercase: bool = True,
        token_pattern: str | None = r"(?u)\w+|[^\w\s]",
        stop_words=None,
        max_features: int | None = None,
        min_df: float | int = 1,
    ):
        self.n = n
        self.smoothing = smoothing
        self.discount = discount
        self.alpha = alpha
        self.backoff_weight = backoff_weight
        self.analyzer = analyzer
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.stop_words = stop_words
        self.max_features = max_features
        self.min_df = min_df

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary and count the n-grams of the texts ``X``.

        Parameters
        ----------
        X : iterable of str or of token lists
            Training texts, each read as one sequence (split documents into
            sentences first for sentence boundaries).
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted model.
        """
        with attributes_restored_on_error(self):
            texts = self._encode_texts(X, reset=True)
            radix = len(self.vocabulary_) + 1  # the columns and <s>
            if radix**self.n >= 2**63:
                raise ValueError(
                    f"n={self.n} with a vocabulary of {radix - 1} tokens gives more "
                    "distinct n-grams than this model can index (2**63). Lower n, or "
                    "set max_features or min_df to shrink the vocabulary."
                )
            # the fitted state: the order, and the distinct n-grams with their
            # counts (every lower order is in them); the tables follow from it
            self._order = int(self.n)
            self._ngram_keys, counts = np.unique(
                self._window_keys(texts), return_counts=True
            )
            self._ngram_counts = counts.astype(np.int64)
            self._ngrams = self._count_tables()
        return self

    def _count_tables(self) -> list[dict]:
        """The tables the smoothings read, per order k from 1 to ``_order``.

        The k-grams' keys, counts and continuation counts, and their totals per
        context, all summed from the distinct n-grams and their counts.
        """
        radix = len(self.vocabulary_) + 1
        top = self._ngram_counts.astype(np.float64)
        tables = []
        for order in range(1, self._order + 1):
            grams, inverse = np.unique(
                self._ngram_keys % radix**order, return_inverse=True
            )
            counts = np.bincount(inverse, weights=top, minlength=len(grams))
            tables.append({"keys": grams, "counts": counts})
        for order, table in enumerate(tables, start=1):
            if order < self._order:  # distinct tokens seen before each k-gram
                higher = tables[order]["keys"] % radix**order
                continuation = np.unique(higher, return_counts=True)[1]
                table["continuation"] = continuation.astype(np.float64)
            else:
                table["continuation"] = table["counts"]
            contexts, first, types = np.unique(
                table["keys"] // radix, return_index=True, return_counts=True
            )
            table["contexts"], table["types"] = contexts, types.astype(np.float64)
            for name in ("counts", "continuation"):
                table[f"context_{name}"] = np.add.reduceat(table[name], first)
        return tables

    @property
    def ngram_counts_(self) -> list[np.ndarray]:
        """The k-grams of the training texts and their counts, per order k."""
        check_is_fitted(self)
        radix = len(self.vocabulary_) + 1
        out = []
        for order, table in enumerate(self._ngrams, start=1):
            powers = radix ** np.arange(order - 1, -1, -1)
            digits = (table["keys"][:, None] // powers) % radix
            digits[digits == radix - 1] = -1  # <s>
            out.append(np.column_stack([digits, table["counts"].astype(np.int64)]))
        return out

    def _check_fitted(self) -> None:
        # the smoothing's parameters are read when probabilities are computed
        # (the counts do not depend on them): check them then as well
        super()._check_fitted()
        self._validate_params()

    # -- counts ---------------------------------------------------------------------
    def _window_keys(self, texts) -> np.ndarray:
        """One key per predicted token: its n-gram read as digits in base V + 1.

        The last ``k`` digits of a key are the token's k-gram, so ``key %
        (V + 1) ** k`` is the key of its k-gram.
        """
        radix, start = len(self.vocabulary_) + 1, len(self.vocabulary_)
        n = self._order
        pad = np.full(n - 1, start, dtype=np.int64)
        end = np.array([1], dtype=np.int64)
        flat = np.concatenate([part for t in texts for part in (pad, t, end)])
        # the n - 1 tokens before each predicted position are in the same text
        lengths = np.array([len(t) + 1 for t in texts])
        offsets = np.repeat(np.cumsum(lengths + n - 1) - lengths, lengths)
        positions = (
            offsets
            + np.arange(lengths.sum())
            - np.repeat(np.cumsum(lengths) - lengths, lengths)
        )
        keys = np.zeros(len(positions), dtype=np.int64)
        for back in range(n - 1, -1, -1):
            keys = keys * radix + flat[positions - back]
        return keys

    # -- probabilities --------------------------------------------------------------
    def _probabilities(self, contexts: np.ndarray, words: np.ndarray) -> np.ndarray:
        """P(word | context) for rows of ``n - 1`` context columns (``<s>`` is V)."""
        radix, size = len(self.vocabulary_) + 1, len(self.vocabulary_)
        proba = np.full(len(words), 1.0 / size)
        context_key = np.zeros(len(words), dtype=np.int64)
        for order, table in enumerate(self._ngrams, start=1):
            if order > 1:
                context_key += contexts[:, -(order - 1)] * radix ** (order - 2)
            if self.smoothing == "laplace" and order < self._order:
                continue
            continuation = self.smoothing == "kneser_ney" and order < self._order
            name = "continuation" if continuation else "counts"
            count = _lookup(table["keys"], table[name], context_key * radix + words)
            total = _lookup(table["contexts"], table[f"context_{name}"], context_key)
            types = _lookup(table["contexts"], table["types"], context_key)
            seen = total > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                if self.smoothing == "kneser_ney":
                    d = self.discount
                    mixed = (np.maximum(count - d, 0) + d * types * proba) / total
                elif self.smoothing == "witten_bell":
                    mixed = (count + types * proba) / (total + types)
                elif self.smoothing == "laplace":
                    a = self.alpha
                    mixed = (count + a) / (total + a * size)
                    seen = np.ones_like(seen)
                else:  # stupid backoff: a score, not a probability
                    mixed = np.where(
                        count > 0, count / total, self.backoff_weight * proba
                    )
                    seen = np.ones_like(seen)
            proba = np.where(seen, mixed, proba)
        return proba

    def _contexts(self, texts) -> np.ndarray:
        """The last ``n - 1`` columns of each text, ``<s>``-padded on the left."""
        start = len(self.vocabulary_)
        width = self._order - 1
        out = np.full((len(texts), width), start, dtype=np.int64)
        for row, text in enumerate(texts):
            tail = text[max(len(text) - width, 0) :] if width else text[:0]
            out[row, width - len(tail) :] = tail
        return out

    def _log_likelihoods(self, texts) -> np.ndarray:
        keys = self._window_keys(texts)
        radix = len(self.vocabulary_) + 1
        words = keys % radix
        digits = (keys[:, None] // radix ** np.arange(self._order - 1, 0, -1)) % radix
        log_proba = np.log(self._probabilities(digits, words))
        lengths = np.array([len(t) + 1 for t in texts])
        return np.add.reduceat(log_proba, np.cumsum(lengths) - lengths)

    def _next_proba(self, contexts) -> np.ndarray:
        size = len(self.vocabulary_)
        rows = np.repeat(self._contexts(contexts), size, axis=0)
        words = np.tile(np.arange(size), len(contexts))
        return self._probabilities(rows, words).reshape(len(contexts), size)


def _lookup(keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """``values`` at the positions of ``queries`` in the sorted ``keys``.

    0 where a query is absent.
    """
    if len(keys) == 0:
        return np.zeros(len(queries))
    where = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    return np.where(keys[where] == queries, values[where], 0.0)
