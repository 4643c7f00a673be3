"""What every language model of skdl shares: texts to token columns, and the
methods built on two primitives (the log-likelihood of texts, the distribution of
the next token).

A language model reads each text as one sequence: ``<s>`` tokens before it (as
many as the model's context needs), its tokens, then ``</s>``. It predicts every
token of the text and the end marker, over a vocabulary whose column 0 is
``<unk>`` (tokens left out of the vocabulary, or never seen), column 1 is ``</s>``
and the columns from 2 on are the training tokens in sorted order. ``<s>`` is
never predicted.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import DensityMixin
from sklearn.utils.validation import check_is_fitted

from ..utils import seed_from_random_state
from ..utils._text import TokenizerMixin
from ..utils._torch import on_cpu_by_default
from ..utils._validation import check_count

__all__ = ["BOS", "EOS", "UNK", "LanguageModelMixin"]

UNK, EOS, BOS = "<unk>", "</s>", "<s>"
_UNK_COLUMN, _EOS_COLUMN = 0, 1


class LanguageModelMixin(DensityMixin, TokenizerMixin):
    """Scoring, next-token probabilities and generation of a language model.

    A subclass learns ``vocabulary_`` through :meth:`_encode_texts` and implements
    ``_log_likelihoods(texts)`` (the log-likelihood of each text, float64) and
    ``_next_proba(contexts)`` (one row of next-token probabilities per context),
    where texts and contexts are lists of int arrays of vocabulary columns.
    """

    _accepts_ids = False

    # -- texts -> columns -----------------------------------------------------------
    def _encode_texts(self, X, *, reset: bool) -> list[np.ndarray]:
        """Vocabulary columns of each text's tokens (learn the vocabulary first if
        ``reset``).
        """
        tokens, _ = self._tokenize(X)
        if not tokens:
            raise ValueError(
                f"{type(self).__name__} got 0 documents; at least 1 is required."
            )
        if reset:
            words = [t for t in self._vocabulary_tokens(tokens) if t not in _RESERVED]
            self.vocabulary_ = {UNK: _UNK_COLUMN, EOS: _EOS_COLUMN}
            self.vocabulary_.update(
                (word, column) for column, word in enumerate(words, start=2)
            )
        return [self._columns(doc) for doc in tokens]

    def _checked_texts(self, X) -> list[np.ndarray]:
        """The columns of the texts ``X``, once the model is fitted."""
        self._check_fitted()
        return self._encode_texts(X, reset=False)

    def _check_fitted(self) -> None:
        """Raise NotFittedError before fit (a subclass may check more)."""
        check_is_fitted(self)

    def _columns(self, tokens) -> np.ndarray:
        get = self.vocabulary_.get
        return np.array(
            [_UNK_COLUMN if t in _RESERVED else get(t, _UNK_COLUMN) for t in tokens],
            dtype=np.int64,
        )

    # -- public methods -------------------------------------------------------------
    @on_cpu_by_default
    def score_samples(self, X) -> np.ndarray:
        """Log-likelihood of each text: the sum of the natural log-probabilities
        of its tokens and of its end.

        Parameters
        ----------
        X : iterable of str or of token lists
            Texts of the kind given to ``fit``.

        Returns
        -------
        ndarray of shape (n_texts,)
            Always finite: unseen tokens read as ``<unk>``, which has a positive
            probability.
        """
        return self._log_likelihoods(self._checked_texts(X))

    @on_cpu_by_default
    def score(self, X, y=None) -> float:
        """Mean log-likelihood per predicted token (each text's end counts as one).

        Higher is better, so it works as GridSearchCV's default score;
        :meth:`perplexity` is ``exp(-score)``.

        Parameters
        ----------
        X : iterable of str or of token lists
            Texts of the kind given to ``fit``.
        y : None
            Ignored.

        Returns
        -------
        float
        """
        texts = self._checked_texts(X)
        total = float(np.sum(self._log_likelihoods(texts)))
        return total / sum(len(text) + 1 for text in texts)

    def perplexity(self, X) -> float:
        """Perplexity on ``X``: ``exp(-score(X))``, the average branching factor.

        Parameters
        ----------
        X : iterable of str or of token lists
            Texts of the kind given to ``fit``.

        Returns
        -------
        float
            1 for a model that predicts every token with certainty; the
            vocabulary size for one that guesses uniformly.
        """
        return float(np.exp(-self.score(X)))

    @on_cpu_by_default
    def predict_proba_next(self, contexts) -> np.ndarray:
        """Probability of each vocabulary token to come next after each context.

        Parameters
        ----------
        contexts : iterable of str or of token lists
            Beginnings of texts (an empty string is the start of a text).

        Returns
        -------
        ndarray of shape (n_contexts, n_tokens)
            One column per vocabulary token: column ``vocabulary_[token]``
            holds the probability of ``token``, and ``vocabulary_['</s>']``
            that of the text ending there.
        """
        return self._next_proba(self._checked_texts(contexts))

    @on_cpu_by_default
    def generate(
        self, n_words: int = 20, *, seed_text: str = "", random_state=None
    ) -> str:
        """Sample a continuation of ``seed_text``, one token at a time.

        Each token is drawn from :meth:`predict_proba_next` of the text so far,
        without ``<unk>`` (the other probabilities are rescaled to sum to 1).

        Parameters
        ----------
        n_words : int, default=20
            Most tokens to add (words, or characters with ``analyzer='char'``);
            fewer when the model draws the end of the text.
        seed_text : str or list of str, default=''
            Beginning of the text: a string, or a list of tokens.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws: an int gives the same text every time. The global
            random states are not used.

        Returns
        -------
        str
            ``seed_text``'s tokens and the new ones, joined by spaces (without
            separator for ``analyzer='char'``).
        """
        self._check_fitted()
        n_words = check_count(n_words, "n_words", 0)
        ((tokens,), _) = self._tokenize([seed_text])
        tokens = list(tokens)
        context = list(self._columns(tokens))
        words = sorted(self.vocabulary_, key=self.vocabulary_.get)
        rng = np.random.default_rng(seed_from_random_state(random_state))
        for _ in range(n_words):
            proba = self._next_proba([np.array(context, dtype=np.int64)])[0]
            proba[_UNK_COLUMN] = 0.0
            column = int(rng.choice(len(proba), p=proba / proba.sum()))
            if column == _EOS_COLUMN:
                break
            tokens.append(words[column])
            context.append(column)
        separator = "" if self.analyzer == "char" else " "
        return separator.join(tokens)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags


_RESERVED = frozenset({UNK, EOS, BOS})
