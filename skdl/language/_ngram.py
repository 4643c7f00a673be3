"""NGramLanguageModel: counts of word (or character) n-grams, smoothed."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._blocks import refuse_block_input
from ..utils._docstrings import fill_doc
from ..utils._sklearn import Interval, StrOptions, _fit_context
from ..utils._state import attributes_restored_on_error
from ..utils._text import TEXT_CONSTRAINTS
from ._base import LanguageModelMixin

__all__ = ["MAX_NGRAM_ORDER", "NGramLanguageModel"]

_SMOOTHINGS = ("kneser_ney", "laplace", "witten_bell", "stupid_backoff")

#: The highest order: each order costs a table, and a context its n - 1 columns
#: for every token of the vocabulary in predict_proba_next
MAX_NGRAM_ORDER = 100


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
    n : int in [1, 100], default=3
        Order of the model: 1 for unigrams, 2 for bigrams, 3 for trigrams. Any
        order works with any vocabulary size.

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

    # why fit cannot read X block by block (see skdl._blocks.refuse_block_input)
    _block_input_refused = "counts its vocabulary and n-grams from every text at once"

    _parameter_constraints: dict = {
        "n": [Interval(Integral, 1, MAX_NGRAM_ORDER, closed="both")],
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
        refuse_block_input(self, X)
        with attributes_restored_on_error(self):
            texts = self._encode_texts(X, reset=True)
            # the fitted state: the order, and the distinct n-grams with their
            # counts (every lower order is in them); the tables follow from it
            self._order = int(self.n)
            windows = self._windows(texts)
            self._ngram_tokens, self._ngram_counts = _distinct_rows(
                windows, _sorting_keys(windows, len(self.vocabulary_) + 1)
            )
            self._ngrams = self._count_tables()
        return self

    def _count_tables(self) -> list[dict]:
        """The tables the smoothings read, per order k from 1 to ``_order``.

        A k-gram's key is ``context * (V + 1) + token``, ``context`` being the
        rank of its ``k - 1`` preceding tokens among the contexts of order k
        (:func:`_context_ranks`, whose sorted ``pairs`` give those ranks). Per
        order: the pairs, the k-grams' keys, counts and continuation counts, and
        their totals per context, all summed from the distinct n-grams.
        """
        radix = len(self.vocabulary_) + 1
        top = self._ngram_counts.astype(np.float64)
        words = self._ngram_tokens[:, -1]
        tables = []
        for pairs, ranks in _context_ranks(self._ngram_tokens, radix):
            grams, inverse = np.unique(ranks * radix + words, return_inverse=True)
            counts = np.bincount(inverse, weights=top, minlength=len(grams))
            tables.append({"pairs": pairs, "keys": grams, "counts": counts})
        for order, table in enumerate(tables, start=1):
            if order < self._order:  # distinct tokens seen before each k-gram
                higher = tables[order]
                # a context's pair holds the rank of its own last k - 1 tokens
                shorter = higher["pairs"][higher["keys"] // radix] // radix
                suffixes = shorter * radix + higher["keys"] % radix
                continuation = np.unique(suffixes, return_counts=True)[1]
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
        start = len(self.vocabulary_)
        out = []
        for order in range(1, self._order + 1):
            grams = self._ngram_tokens[:, self._order - order :]
            grams, counts = _distinct_rows(
                grams, _sorting_keys(grams, start + 1), self._ngram_counts
            )
            grams = np.where(grams == start, -1, grams)  # <s>, sorted last
            out.append(np.column_stack([grams, counts]))
        return out

    def _check_fitted(self) -> None:
        # the smoothing's parameters are read when probabilities are computed
        # (the counts do not depend on them): check them then as well
        super()._check_fitted()
        self._validate_params()

    # -- counts ---------------------------------------------------------------------
    def _windows(self, texts) -> np.ndarray:
        """One row per predicted token: the ``n - 1`` columns before it, then it.

        Each text is padded with ``n - 1`` start markers (column V) and ends with
        ``</s>``; the columns before a token are always in its own text.
        """
        start, n = len(self.vocabulary_), self._order
        pad = np.full(n - 1, start, dtype=np.int64)
        end = np.array([1], dtype=np.int64)
        flat = np.concatenate([part for t in texts for part in (pad, t, end)])
        lengths = np.array([len(t) + 1 for t in texts])
        offsets = np.repeat(np.cumsum(lengths + n - 1) - lengths, lengths)
        positions = (
            offsets
            + np.arange(lengths.sum())
            - np.repeat(np.cumsum(lengths) - lengths, lengths)
        )
        return flat[positions[:, None] + np.arange(1 - n, 1)]

    # -- probabilities --------------------------------------------------------------
    def _probabilities(self, contexts: np.ndarray, words: np.ndarray) -> np.ndarray:
        """P(word | context) for rows of ``n - 1`` context columns (``<s>`` is V)."""
        radix, size = len(self.vocabulary_) + 1, len(self.vocabulary_)
        proba = np.full(len(words), 1.0 / size)
        rank = np.zeros(len(words), dtype=np.int64)
        for order, table in enumerate(self._ngrams, start=1):
            if order > 1:  # the context's rank at this order, -1 if never seen
                pair = rank * radix + contexts[:, -(order - 1)]
                rank = _find(table["pairs"], pair)
            if self.smoothing == "laplace" and order < self._order:
                continue
            continuation = self.smoothing == "kneser_ney" and order < self._order
            name = "continuation" if continuation else "counts"
            count = _lookup(table["keys"], table[name], rank * radix + words)
            total = _lookup(table["contexts"], table[f"context_{name}"], rank)
            types = _lookup(table["contexts"], table["types"], rank)
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
        windows = self._windows(texts)
        log_proba = np.log(self._probabilities(windows[:, :-1], windows[:, -1]))
        lengths = np.array([len(t) + 1 for t in texts])
        return np.add.reduceat(log_proba, np.cumsum(lengths) - lengths)

    def _next_proba(self, contexts) -> np.ndarray:
        size = len(self.vocabulary_)
        rows = np.repeat(self._contexts(contexts), size, axis=0)
        words = np.tile(np.arange(size), len(contexts))
        return self._probabilities(rows, words).reshape(len(contexts), size)


def _find(keys: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """The positions of ``queries`` in the sorted, non-empty ``keys``; -1 if absent."""
    where = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    return np.where(keys[where] == queries, where, -1)


def _lookup(keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """``values`` at the positions of ``queries`` in the sorted ``keys``, else 0."""
    where = _find(keys, queries)
    return np.where(where >= 0, values[where], 0.0)


def _sorting_keys(grams: np.ndarray, radix: int) -> np.ndarray:
    """int64 keys in the lexicographic order of the rows of ``grams``.

    The tokens are read as digits in base ``radix``; where the next digit would
    overflow int64, the keys so far are replaced by their ranks, which keeps
    their order.
    """
    keys = np.zeros(len(grams), dtype=np.int64)
    for column in grams.T:
        if keys.max() > 2**63 // radix - 1:
            keys = np.unique(keys, return_inverse=True)[1].reshape(-1)
        keys = keys * radix + column
    return keys


def _distinct_rows(
    rows: np.ndarray, keys: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``rows`` in the order of their ``keys``, and their counts.

    A row's count is its number of occurrences, or the sum of its ``weights``.
    """
    keys, inverse = np.unique(keys, return_inverse=True)
    inverse = inverse.reshape(-1)
    counts = np.bincount(inverse, weights=weights, minlength=len(keys))
    where = np.empty(len(keys), dtype=np.intp)
    where[inverse] = np.arange(len(inverse))  # a row of each key
    return rows[where], counts.astype(np.int64)


def _context_ranks(
    grams: np.ndarray, radix: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Number the contexts of every order of the n-grams ``grams``, one per row.

    For order k, the context of a row is its ``k - 1`` tokens before the last.
    Its rank is its position among the sorted distinct ``pairs`` of order k,
    ``pair = (rank of the context's last k - 2 tokens) * radix + its first
    token``: keys that stay below ``len(grams) * radix``, whatever n and the
    vocabulary size. Returns ``(pairs, ranks)`` per order from 1 (the empty
    context, rank 0) to n.
    """
    ranks = np.zeros(len(grams), dtype=np.int64)
    out = [(np.zeros(1, dtype=np.int64), ranks)]
    for back in range(2, grams.shape[1] + 1):
        pairs, ranks = np.unique(ranks * radix + grams[:, -back], return_inverse=True)
        out.append((pairs, ranks.reshape(-1)))
    return out
